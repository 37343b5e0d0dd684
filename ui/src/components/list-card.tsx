import { type JSX, Show } from "solid-js";
import { EmptyState, ErrorAlert, SkeletonRows } from "./ui";

/**
 * The frame of every list page: the load error with a retry, then a card holding either the
 * empty state (what to do next) or the table, with skeleton rows while loading.
 */
export function ListCard<T>(props: {
  items: { (): T[] | undefined; loading: boolean; error: unknown };
  retry: () => void;
  columns: JSX.Element;
  colCount: number;
  empty: { title: string; text: JSX.Element; action?: JSX.Element };
  children: JSX.Element;
}) {
  return (
    <>
      <Show when={props.items.error}>
        <ErrorAlert error={props.items.error} retry={props.retry} />
      </Show>
      <div class="card">
        <Show
          when={props.items.loading || (props.items() ?? []).length > 0}
          fallback={
            <EmptyState title={props.empty.title} action={props.empty.action}>
              {props.empty.text}
            </EmptyState>
          }
        >
          <table>
            <thead>
              <tr>{props.columns}</tr>
            </thead>
            <tbody>
              <Show when={!props.items.loading} fallback={<SkeletonRows cols={props.colCount} />}>
                {props.children}
              </Show>
            </tbody>
          </table>
        </Show>
      </div>
    </>
  );
}
