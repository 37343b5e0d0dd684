import { A } from "@solidjs/router";
import { GetStarted } from "../components/GetStarted";

/**
 * The home route: where a sign-in lands. The get-started checklist first (a newcomer's next step),
 * then the places people go most. Other cards (an overview) live beside it.
 */
export function Home() {
  return (
    <div class="page">
      <div class="page-head">
        <div>
          <h1>Home</h1>
          <p>Run agents in sandboxes, behind one LLM gateway, with every event kept.</p>
        </div>
      </div>
      <GetStarted />
      <div class="home-links">
        <A class="card card-pad" href="/sessions"><strong>Sessions</strong><span class="muted">Conversations with agents, live</span></A>
        <A class="card card-pad" href="/agents"><strong>Agents</strong><span class="muted">Model, prompt, tools and runtime</span></A>
        <A class="card card-pad" href="/gateway/logs"><strong>Logs &amp; spend</strong><span class="muted">Every model call, its tokens and cost</span></A>
        <A class="card card-pad" href="/system"><strong>System</strong><span class="muted">Health and configuration</span></A>
      </div>
    </div>
  );
}
