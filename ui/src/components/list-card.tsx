import { type JSX, Show } from "solid-js";
import { Dynamic } from "solid-js/web";
import { EmptyState, ErrorAlert, SkeletonRows } from "./ui";

/** What a list is loaded from: a Solid resource (or anything with the same three parts). */
export interface ListSource {
  (): unknown;
  loading: boolean;
  error: unknown;
}

/**
 * The frame of every list: the load error with a retry, then a card holding either the empty state
 * (what to do next) or the table, with skeleton rows while loading. A toolbar (filters, a heading)
 * sits at the card's top, a footer (load more) below the table.
 */
export function ListCard(props: {
  /**
   * The resource; when it holds more than the list (a cursor page, totals), `rows` picks the list.
   * Without it (a list inside an already loaded object) only `rows` is given.
   */
  items?: ListSource;
  rows?: () => readonly unknown[] | undefined;
  /** Skeleton rows while this is true (default: while the resource loads). */
  loading?: boolean;
  retry?: () => void;
  columns: JSX.Element;
  colCount: number;
  skeletonRows?: number;
  empty: { title: string; text?: JSX.Element; action?: JSX.Element };
  toolbar?: JSX.Element;
  footer?: JSX.Element;
  /** Without the card's border, and a one-line empty state: a list inside a panel or a dialog. */
  bare?: boolean;
  /** Extra attributes: the frame's class, the table's class and test id, the frame's test id, a region label. */
  class?: string;
  tableClass?: string;
  testId?: string;
  cardTestId?: string;
  label?: string;
  children: JSX.Element;
}) {
  const loading = () => props.loading ?? props.items?.loading ?? false;
  const rows = () => (props.rows ? props.rows() : (props.items?.() as readonly unknown[] | undefined));
  return (
    <>
      <Show when={props.items?.error}>
        <ErrorAlert error={props.items?.error} retry={props.retry} />
      </Show>
      <Dynamic
        component={props.label ? "section" : "div"}
        class={`${props.bare ? "list-bare" : "card"} ${props.class ?? ""}`.trim()}
        aria-label={props.label}
        data-testid={props.cardTestId}
      >
        {props.toolbar}
        <Show
          when={loading() || (rows() ?? []).length > 0}
          fallback={
            <EmptyState title={props.empty.title} action={props.empty.action}>
              {props.empty.text}
            </EmptyState>
          }
        >
          <table class={props.tableClass} data-testid={props.testId}>
            <thead>
              <tr>{props.columns}</tr>
            </thead>
            <tbody>
              <Show when={!loading()} fallback={<SkeletonRows cols={props.colCount} rows={props.skeletonRows} />}>
                {props.children}
              </Show>
            </tbody>
          </table>
          {props.footer}
        </Show>
      </Dynamic>
    </>
  );
}
