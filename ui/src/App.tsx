import { Navigate, Route, Router, useLocation, useNavigate } from "@solidjs/router";
import { createResource, type JSX, Match, Switch } from "solid-js";
import { Layout } from "./components/Layout";
import { Toasts } from "./components/ui";
import { api, setUnauthorizedHandler, type Me } from "./lib/api";
import { ApiKeys } from "./pages/ApiKeys";
import { Audit } from "./pages/Audit";
import { Approvals } from "./pages/Approvals";
import { GatewayKeys } from "./pages/GatewayKeys";
import { GatewayLogs } from "./pages/GatewayLogs";
import { GatewayModels } from "./pages/GatewayModels";
import { Kubernetes } from "./pages/Kubernetes";
import { Harnesses } from "./pages/Harnesses";
import { Home } from "./pages/Home";
import { Invite, Login } from "./pages/Login";
import { Members } from "./pages/Members";
import { McpServers } from "./pages/McpServers";
import { Integrations } from "./pages/Integrations";
import { Overview } from "./pages/Overview";
import { Slack } from "./pages/Slack";
import { System } from "./pages/System";
import { AgentDetail, Agents } from "./pages/Agents";
import { Runtimes } from "./pages/Runtimes";
import { ScheduleDetail, Schedules } from "./pages/Schedules";
import { TriggerDetail, Triggers } from "./pages/Triggers";
import { SessionChat } from "./pages/SessionChat";
import { Sessions } from "./pages/Sessions";
import { Sandboxes } from "./pages/Sandboxes";
import { Usage } from "./pages/Usage";
import { Vault } from "./pages/Vault";
import { Rules } from "./pages/Rules";
import { Skills } from "./pages/Skills";

const [me, { mutate: setMe }] = createResource<Me | null>(() => api.auth.me().catch(() => null));

/** Pages behind the login: sends anonymous visitors to /login?next=… */
function Authed(props: { children?: JSX.Element }) {
  const location = useLocation();
  const navigate = useNavigate();
  setUnauthorizedHandler(() => {
    setMe(null);
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`, { replace: true });
  });
  return (
    <Switch>
      <Match when={me.loading}>{null}</Match>
      <Match when={!me()}>
        <Navigate href={`/login?next=${encodeURIComponent(location.pathname)}`} />
      </Match>
      <Match when={me()}>
        {(m) => (
          <Layout me={m()} onLogout={() => setMe(null)}>
            {props.children}
          </Layout>
        )}
      </Match>
    </Switch>
  );
}

function NotFound() {
  return (
    <div class="page">
      <h1>Page not found</h1>
      <p class="muted">
        Nothing lives here. Go <a href="/">home</a>.
      </p>
    </div>
  );
}

export function App() {
  return (
    <>
      <Router>
        <Route path="/login" component={() => <Login onLogin={(m) => setMe(m)} />} />
        <Route path="/invite" component={() => <Invite onLogin={(m) => setMe(m)} />} />
        <Route path="/" component={Authed}>
          <Route path="/" component={() => <Home admin={me()?.kind === "admin"} />} />
          <Route path="/overview" component={Overview} />
          <Route path="/system" component={System} />
          <Route path="/keys" component={ApiKeys} />
          <Route path="/members" component={() => <Members me={me()!} />} />
          <Route path="/gateway/models" component={GatewayModels} />
          <Route path="/gateway/keys" component={GatewayKeys} />
          <Route path="/gateway/logs" component={GatewayLogs} />
          <Route path="/gateway/usage" component={Usage} />
          <Route path="/mcp-servers" component={() => <McpServers me={me()!} />} />
          <Route path="/kubernetes" component={Kubernetes} />
          <Route path="/agents" component={Agents} />
          <Route path="/agents/:id" component={AgentDetail} />
          <Route path="/sessions" component={Sessions} />
          <Route path="/approvals" component={Approvals} />
          <Route path="/sessions/:id" component={SessionChat} />
          <Route path="/runtimes" component={() => <Runtimes me={me()!} />} />
          <Route path="/schedules" component={Schedules} />
          <Route path="/schedules/:id" component={ScheduleDetail} />
          <Route path="/triggers" component={Triggers} />
          <Route path="/triggers/:id" component={TriggerDetail} />
          <Route path="/sandboxes" component={Sandboxes} />
          <Route path="/vault" component={() => <Vault me={me()!} />} />
          <Route path="/skills" component={Skills} />
          <Route path="/rules" component={Rules} />
          <Route path="/integrations" component={Integrations} />
          <Route path="/integrations/slack" component={Slack} />
          <Route path="/harnesses" component={Harnesses} />
          <Route path="/audit" component={() => <Audit me={me()!} />} />
          <Route path="*404" component={NotFound} />
        </Route>
      </Router>
      <Toasts />
    </>
  );
}
