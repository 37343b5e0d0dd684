import { A } from "@solidjs/router";
import { createResource, createSignal, type JSX, Show } from "solid-js";
import { type AgentView, api, type DeploymentView, type SessionListItem } from "../lib/api";
import { sessionLabel } from "../lib/session-names";
import { gatewayModelNames } from "./ModelPicker";

/** What the checklist reads: every tick comes from LAP's own state, never from a click on the checklist. */
interface FirstRunState {
  /** null: the caller may not list the gateway's models (a member: an admin adds them). */
  models: Array<{ name: string; ok: boolean | null }> | null;
  agents: AgentView[];
  sessions: SessionListItem[];
  /** The newest session whose agent answered (an `agent.message` is stored), if any. */
  answered: SessionListItem | null;
}

const AGENT_ANSWERED = "agent.message";

async function loadState(): Promise<FirstRunState> {
  const [deployments, agents, sessions] = await Promise.all([
    api.gateway.models.list().catch(() => null as DeploymentView[] | null),
    api.agents.list(),
    api.sessions.list({ limit: 20 }).then((r) => r.data),
  ]);
  const models = deployments ? gatewayModelNames(deployments).map((m) => ({ name: m.name, ok: m.test ? m.test.ok : null })) : null;
  // A session answered when its agent's reply is stored; the newest few that went past their first
  // message are read (one small request each), newest first, until one has.
  let answered: SessionListItem | null = null;
  for (const s of sessions.filter((x) => x.last_seq > 1).slice(0, 3)) {
    const { data } = await api.sessions.events(s.id, 0, 1000).catch(() => ({ data: [] }));
    if (data.some((e) => e.type === AGENT_ANSWERED)) {
      answered = s;
      break;
    }
  }
  return { models, agents, sessions, answered };
}

const DISMISSED = "lap.get-started.hidden";

/**
 * The first-run checklist on the home page (issue 24, item 6): add a model and test it, create an
 * agent with it, start a session and get an answer. Each step is ticked from real state and offers the
 * next step with what the previous one made ("Create an agent with this model").
 */
export function GetStarted(props: { admin: boolean }) {
  const [state, { refetch }] = createResource(loadState);
  const [hidden, setHidden] = createSignal(localStorage.getItem(DISMISSED) === "1");
  const testedModel = () => state()?.models?.find((m) => m.ok === true) ?? null;
  const anyModel = () => state()?.models?.[0] ?? null;
  const modelDone = () => (state()?.models === null ? (state()?.agents.length ?? 0) > 0 : testedModel() !== null);
  const agentDone = () => (state()?.agents.length ?? 0) > 0;
  const sessionDone = () => state()?.answered != null;
  const allDone = () => modelDone() && agentDone() && sessionDone();
  const firstAgent = () => state()?.agents[0];
  const newestSession = () => state()?.sessions[0];
  const hide = (on: boolean) => {
    localStorage.setItem(DISMISSED, on ? "1" : "0");
    setHidden(on);
  };
  return (
    <section class="card card-pad get-started" aria-labelledby="get-started-title" data-testid="get-started">
      <div class="get-started-head">
        <div>
          <h2 id="get-started-title">Get started</h2>
          <p class="muted">
            <Show when={!state.loading} fallback="Reading what this LAP has…">
              <Show
                when={allDone()}
                fallback="Three steps from an empty LAP to an agent that answers. Each is ticked when LAP has it, not when you click."
              >
                Done: this LAP has a tested model, an agent, and a session that got an answer.
              </Show>
            </Show>
          </p>
        </div>
        <span>
          <Show when={!state.loading}>
            <span class="badge" classList={{ ok: allDone() }} data-testid="get-started-progress">
              {[modelDone(), agentDone(), sessionDone()].filter(Boolean).length} of 3 done
            </span>{" "}
          </Show>
          <Show when={allDone()}>
            <button class="btn ghost sm" onClick={() => hide(!hidden())}>
              {hidden() ? "Show steps" : "Hide steps"}
            </button>
          </Show>
          <button class="btn ghost sm" onClick={() => refetch()} title="Read the state again">
            Refresh
          </button>
        </span>
      </div>
      <Show when={!state.loading && !(allDone() && hidden())}>
        <ol class="checklist">
          <Step n={1} done={modelDone()} title="Add a model and test it" testId="step-model">
            <Show
              when={state()?.models !== null}
              fallback={
                <>
                  An admin adds the gateway's models;{" "}
                  {agentDone() ? "your agents already have one." : "ask one to add a model under Models & providers."}
                </>
              }
            >
              <Show
                when={testedModel()}
                fallback={
                  <Show
                    when={anyModel()}
                    fallback={
                      <>
                        A model is the name agents call, the provider's model behind it, and where that provider lives.{" "}
                        <Show when={props.admin} fallback="An admin adds models: ask one to add a model under Models & providers.">
                          <A class="btn primary sm" href="/gateway/models?new=1">
                            Add a model
                          </A>
                        </Show>
                      </>
                    }
                  >
                    {(m) => (
                      <>
                        <span class="mono">{m().name}</span>{" "}
                        {m().ok === false
                          ? "failed its last test: fix it, then test again."
                          : "is not tested yet: a test sends one word to it."}{" "}
                        <Show when={props.admin}>
                          <A class="btn primary sm" href="/gateway/models">
                            Test {m().name}
                          </A>
                        </Show>
                      </>
                    )}
                  </Show>
                }
              >
                {(m) => (
                  <>
                    <span class="mono">{m().name}</span> answered its last test.{" "}
                    <Show when={!agentDone()}>
                      <A class="btn primary sm" href={`/agents?new=1&model=${encodeURIComponent(m().name)}`}>
                        Create an agent with this model
                      </A>
                    </Show>
                  </>
                )}
              </Show>
            </Show>
          </Step>
          <Step n={2} done={agentDone()} title="Create an agent" testId="step-agent">
            <Show
              when={firstAgent()}
              fallback={
                <>
                  An agent is a model, a system prompt, tools and a runtime (a sandbox on this machine by default).{" "}
                  <Show when={state()?.models === null || (!props.admin && anyModel())}>
                    <A class="btn primary sm" href="/agents?new=1">
                      New agent
                    </A>
                  </Show>
                </>
              }
            >
              {(a) => (
                <>
                  <A href={`/agents/${a().id}`}>{a().name}</A> calls <span class="mono">{a().model}</span>.{" "}
                  <Show when={!sessionDone()}>
                    <A class="btn primary sm" href={`/agents/${a().id}#start`}>
                      Start a session with {a().name}
                    </A>
                  </Show>
                </>
              )}
            </Show>
          </Step>
          <Step n={3} done={sessionDone()} title="Start a session and get an answer" testId="step-session">
            <Show
              when={state()?.answered}
              fallback={
                <Show when={newestSession()} fallback={<>A session is a conversation: send the agent a first message and watch it work.</>}>
                  {(s) => (
                    <>
                      <A href={`/sessions/${s().id}`} title={s().id}>
                        The session {sessionLabel(s())}
                      </A>{" "}
                      has no answer yet{s().status === "error" ? ": it failed, open it to see why." : "."}
                    </>
                  )}
                </Show>
              }
            >
              {(s) => (
                <>
                  <A href={`/sessions/${s().id}`} title={s().id}>
                    The session {sessionLabel(s())}
                  </A>{" "}
                  got an answer. Next: <A href="/schedules">run it on a schedule</A>, give it <A href="/mcp-servers">MCP tools</A>, or see{" "}
                  <A href="/gateway/usage">what it cost</A>.
                </>
              )}
            </Show>
          </Step>
        </ol>
      </Show>
    </section>
  );
}

function Step(props: { n: number; done: boolean; title: string; testId: string; children: JSX.Element }) {
  return (
    <li class="check-step" classList={{ done: props.done }} data-testid={props.testId} data-done={props.done ? "true" : "false"}>
      <span class="check-mark" aria-hidden="true">
        {props.done ? "✓" : props.n}
      </span>
      <div>
        <strong>{props.title}</strong> <span class="visually-hidden">{props.done ? "(done)" : "(to do)"}</span>
        <div class="check-body">{props.children}</div>
      </div>
    </li>
  );
}
