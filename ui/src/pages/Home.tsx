import { Show } from "solid-js";
import { GetStarted } from "../components/GetStarted";
import { OverviewPanels } from "../components/OverviewPanels";

/**
 * The home route, where a sign-in lands: the get-started checklist (a newcomer's next step; it folds away
 * once done), then for admins the overview of how busy and healthy LAP is (the same panels as /overview).
 */
export function Home(props: { admin: boolean }) {
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Home</h1>
          <p>Run agents in sandboxes, behind one LLM gateway, with every event kept.</p>
        </div>
      </div>
      <GetStarted admin={props.admin} />
      <Show when={props.admin}>
        <h2>Overview</h2>
        <OverviewPanels emptyHint={false} />
      </Show>
    </div>
  );
}
