import { createResource, createSignal, For, Show } from "solid-js";
import { ConfirmDialog, createApiForm, FormDialog } from "../components/forms";
import { ListCard } from "../components/list-card";
import { CopyButton, EmptyState, toast } from "../components/ui";
import { api, currentTeam, type Me, type MemberView } from "../lib/api";
import { timeAgo } from "../lib/format";
import { useCreate } from "../lib/shortcuts";

const ROLES = ["owner", "admin", "member", "viewer"] as const;
const RANK: Record<string, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };

/**
 * The people in the team the switcher shows (or the first of the caller's teams): their roles, and
 * for team admins adding people by email (a new person gets an invitation link), changing roles and
 * removing them. What each role may do: docs/security.md "Users, teams and roles".
 */
export function Members(props: { me: Me }) {
  const teams = () => props.me.teams ?? [];
  const team = () => teams().find((t) => t.id === currentTeam()) ?? teams()[0];
  const myRank = () => RANK[team()?.role ?? "viewer"] ?? 0;
  const [members, { refetch }] = createResource(
    () => team()?.id,
    (id) => api.teams.members(id),
  );
  const [spend] = createResource(
    () => team()?.id,
    async (id) => (await api.teams.spend()).find((r) => r.id === id),
  );
  const [adding, setAdding] = createSignal(false);
  useCreate(() => myRank() >= 2 && setAdding(true));
  const [removing, setRemoving] = createSignal<MemberView | null>(null);
  const setRole = async (m: MemberView, role: string) => {
    try {
      await api.teams.setRole(team()!.id, m.user_id, role);
      toast(`${m.email ?? m.user_id} is now ${role}`);
    } catch (err) {
      toast((err as Error).message);
    }
    refetch();
  };
  return (
    <div class="page">
      <Show when={team()} fallback={<EmptyState title="You are in no team yet">Ask an admin to add you to a team.</EmptyState>}>
        {(t) => (
          <>
            <div class="page-head">
              <div>
                <h1>Members of {t().alias}</h1>
                <p>
                  Your role here: <strong data-testid="my-role">{t().role}</strong>. Gateway spend in the last 30 days:{" "}
                  <span class="mono" data-testid="team-spend">
                    ${(spend()?.spend ?? 0).toFixed(4)}
                  </span>{" "}
                  in {spend()?.requests ?? 0} calls.
                </p>
              </div>
              <Show when={myRank() >= 2}>
                <button class="btn primary" onClick={() => setAdding(true)}>
                  Add member <span class="kbd">c</span>
                </button>
              </Show>
            </div>
            <ListCard
              items={members}
              retry={refetch}
              colCount={4}
              columns={
                <>
                  <th>Person</th>
                  <th>Role</th>
                  <th>Joined</th>
                  <th />
                </>
              }
              empty={{ title: "Nobody here yet", text: "Add people by email; each gets an invitation link." }}
            >
              <For each={members()}>
                {(m) => (
                  <tr data-testid="member-row">
                    <td>
                      {m.email ?? m.user_id}
                      <div class="muted">{m.name}</div>
                    </td>
                    <td>
                      <Show when={myRank() >= 2 && (myRank() >= 3 || RANK[m.role]! < 2)} fallback={<span class="chip">{m.role}</span>}>
                        <select
                          aria-label={`Role of ${m.email ?? m.user_id}`}
                          value={m.role}
                          onChange={(e) => setRole(m, e.currentTarget.value)}
                        >
                          <For each={ROLES.filter((r) => myRank() >= 3 || RANK[r]! < 3)}>{(r) => <option value={r}>{r}</option>}</For>
                        </select>
                      </Show>
                    </td>
                    <td title={m.joined_at}>{timeAgo(m.joined_at)}</td>
                    <td style={{ "text-align": "right" }}>
                      <Show when={myRank() >= 2 && (myRank() >= 3 || RANK[m.role]! < 2)}>
                        <button class="btn sm danger" onClick={() => setRemoving(m)} aria-label={`Remove ${m.email ?? m.user_id}`}>
                          Remove
                        </button>
                      </Show>
                    </td>
                  </tr>
                )}
              </For>
            </ListCard>
            <Show when={adding()}>
              <AddMemberDialog teamId={t().id} canMakeOwners={myRank() >= 3} onClose={() => setAdding(false)} onAdded={refetch} />
            </Show>
            <Show when={removing()}>
              {(m) => (
                <ConfirmDialog
                  title={`Remove ${m().email ?? m().user_id}?`}
                  confirmLabel="Remove from team"
                  action={async () => {
                    await api.teams.removeMember(t().id, m().user_id);
                    toast(`Removed ${m().email ?? m().user_id}`);
                  }}
                  onClose={() => setRemoving(null)}
                  onDone={refetch}
                >
                  <p>They stop seeing this team's agents, sessions and spend at once. Their account and other teams stay.</p>
                </ConfirmDialog>
              )}
            </Show>
          </>
        )}
      </Show>
    </div>
  );
}

function AddMemberDialog(props: { teamId: string; canMakeOwners: boolean; onClose: () => void; onAdded: () => void }) {
  const [email, setEmail] = createSignal("");
  const [role, setRole] = createSignal("member");
  const [link, setLink] = createSignal("");
  const form = createApiForm();
  const submit = () =>
    form.submit(async () => {
      const added = await api.teams.addMember(props.teamId, { email: email(), role: role() as "member" });
      props.onAdded();
      if (added.invitation) setLink(added.invitation.url);
      else {
        toast(`Added ${email()}`);
        props.onClose();
      }
    });
  return (
    <Show
      when={!link()}
      fallback={
        <FormDialog title="Invitation link" submitLabel="Done" busyLabel="" busy={false} onSubmit={props.onClose} onClose={props.onClose}>
          <p>
            {email()} has no account yet. Send them this one-time link (valid 7 days); it is not shown again. With SSO they can also just
            sign in.
          </p>
          <div class="mono" data-testid="invitation-link" style={{ "word-break": "break-all" }}>
            {link()}
          </div>
          <CopyButton value={link()} label="Copy link" />
        </FormDialog>
      }
    >
      <FormDialog title="Add member" submitLabel="Add" busyLabel="Adding…" busy={form.busy()} onSubmit={submit} onClose={props.onClose}>
        <label class="field">
          Email
          <input name="email" type="email" value={email()} onInput={(e) => setEmail(e.currentTarget.value)} />
          <form.FieldError field="email" />
        </label>
        <label class="field">
          Role
          <select name="role" value={role()} onChange={(e) => setRole(e.currentTarget.value)}>
            <For each={ROLES.filter((r) => props.canMakeOwners || r !== "owner")}>{(r) => <option value={r}>{r}</option>}</For>
          </select>
          <span class="hint">
            viewer reads; member starts sessions and agents; admin manages the team's things and members; owner also makes owners
          </span>
          <form.FieldError field="role" />
        </label>
        <form.FormError />
      </FormDialog>
    </Show>
  );
}
