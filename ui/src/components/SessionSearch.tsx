import { A } from "@solidjs/router";
import { createResource, createSignal, For, onCleanup, Show, type JSX } from "solid-js";
import { api, type SessionSearchHit, usd } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useShortcuts } from "../lib/shortcuts";
import { ListCard } from "./list-card";

/**
 * The Sessions page's search box (docs/sessions.md "Search"): full text over titles and messages of
 * the sessions you may see. `/` focuses it, Escape clears it. While it holds a query, `children` (the
 * sessions list) gives way to the results, each with its snippet, matched words highlighted.
 */
export function SessionSearch(props: { children: JSX.Element }) {
  const [text, setText] = createSignal("");
  const [query, setQuery] = createSignal("");
  let input: HTMLInputElement | undefined;
  let debounce: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(debounce));
  useShortcuts({ "/": () => input?.focus() });
  const typed = (v: string) => {
    setText(v);
    clearTimeout(debounce);
    debounce = setTimeout(() => setQuery(v.trim().length >= 2 ? v.trim() : ""), 250);
  };
  const [results, { refetch }] = createResource(
    () => query() || undefined,
    (q) => api.sessions.search(q),
  );
  const [more, setMore] = createSignal<{ q: string; hits: SessionSearchHit[]; cursor: string | null } | null>(null);
  const hits = () => [...(results.latest?.data ?? []), ...(more()?.q === query() ? more()!.hits : [])];
  const next = () => (more()?.q === query() ? more()!.cursor : (results.latest?.next_cursor ?? null));
  const loadMore = async () => {
    const c = next();
    if (!c) return;
    const res = await api.sessions.search(query(), { cursor: c });
    setMore({ q: query(), hits: [...(more()?.q === query() ? more()!.hits : []), ...res.data], cursor: res.next_cursor });
  };
  return (
    <>
      <div class="toolbar">
        <input
          ref={input}
          type="search"
          placeholder="Search titles and messages"
          aria-label="Search sessions"
          data-testid="session-search"
          value={text()}
          onInput={(e) => typed(e.currentTarget.value)}
          onKeyDown={(e) => {
            if (e.key === "Escape") {
              typed("");
              e.currentTarget.blur();
            }
          }}
        />
        <span class="kbd" title="Press / to search">
          /
        </span>
      </div>
      <Show when={query()} fallback={props.children}>
        <ListCard
          items={results}
          rows={hits}
          loading={false}
          retry={refetch}
          colCount={5}
          cardTestId="search-results"
          columns={
            <>
              <th>Session</th>
              <th>Agent</th>
              <th>Where it matched</th>
              <th>Cost</th>
              <th>Updated</th>
            </>
          }
          empty={{
            title: results.loading ? "Searching…" : "No session matches",
            text: "Titles and message text are searched; other teams' sessions never appear.",
          }}
        >
          <For each={hits()}>
            {(h) => (
              <tr data-testid="search-hit">
                <td>
                  <A href={`/sessions/${h.session.id}`}>{h.session.title || h.session.id}</A>
                </td>
                <td>{h.session.agent_name ?? <span class="muted">deleted</span>}</td>
                <td class="search-snippet" data-testid="search-snippet">
                  <span class="muted">{h.matched === "title" ? "title: " : `message #${h.seq}: `}</span>
                  <For each={h.highlights}>{(p) => (p.match ? <mark>{p.text}</mark> : p.text)}</For>
                </td>
                <td>{usd(h.session.spend)}</td>
                <td>{timeAgo(h.session.updated_at)}</td>
              </tr>
            )}
          </For>
        </ListCard>
        <Show when={next()}>
          <button class="btn" style={{ "margin-top": "8px" }} onClick={loadMore}>
            More results
          </button>
        </Show>
      </Show>
    </>
  );
}
