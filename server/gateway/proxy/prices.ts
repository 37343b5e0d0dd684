import { priceOf, type Price } from "../spend/pricing";
import type { Deployment } from "../types";

/** Each deployment's price per upstream model, looked up once (cleared when the gateway's models change). */
export class PriceCache {
  private prices = new Map<string, Price>();

  constructor(private readonly warnUnpriced: (model: string) => void) {}

  get(d: Deployment, upstreamModel: string): Price {
    const k = `${d.id}|${upstreamModel}`;
    let p = this.prices.get(k);
    if (!p) {
      p = priceOf(d, upstreamModel, this.warnUnpriced);
      this.prices.set(k, p);
    }
    return p;
  }

  clear() {
    this.prices.clear();
  }
}
