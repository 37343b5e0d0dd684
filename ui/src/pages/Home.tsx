import { GetStarted } from "../components/GetStarted";

/**
 * The home route: where a sign-in lands, with the get-started checklist (a newcomer's next step).
 * Other cards (an overview) live beside it.
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
    </div>
  );
}
