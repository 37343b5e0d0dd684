import { createResource, For, Show } from "solid-js";
import type { VersionSummary } from "../lib/api";
import { timeAgo } from "../lib/format";
import { ListCard } from "./list-card";
import { toast } from "./ui";

/** A skill's or rule's versions, newest first; an older one can be brought back (saved as a new version). */
export function Versions(props: {
  what: string;
  current: number;
  load: () => Promise<VersionSummary[]>;
  rollback: (version: number) => Promise<unknown>;
  onChanged: () => void;
}) {
  const [versions, { refetch }] = createResource(props.load);
  return (
    <div class="field" data-testid="versions">
      <strong>Versions</strong>
      <ListCard
        bare
        items={versions}
        tableClass="dense"
        colCount={5}
        skeletonRows={2}
        columns={
          <>
            <th>Version</th>
            <th>Source</th>
            <th>Size</th>
            <th>Saved</th>
            <th />
          </>
        }
        empty={{ title: "No versions" }}
      >
        <For each={versions()}>
          {(v) => (
            <tr data-testid="version-row">
              <td class="mono">v{v.version}</td>
              <td class="muted">{v.source}</td>
              <td class="muted">{v.size} bytes</td>
              <td title={v.created_at}>{timeAgo(v.created_at)}</td>
              <td style={{ "text-align": "right" }}>
                <Show when={v.version !== props.current} fallback={<span class="chip">current</span>}>
                  <button
                    class="btn sm"
                    type="button"
                    aria-label={`Roll back to v${v.version}`}
                    onClick={async () => {
                      await props.rollback(v.version);
                      toast(`${props.what} back to v${v.version}'s content`);
                      await refetch();
                      props.onChanged();
                    }}
                  >
                    Roll back
                  </button>
                </Show>
              </td>
            </tr>
          )}
        </For>
      </ListCard>
    </div>
  );
}
