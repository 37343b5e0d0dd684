import { A } from "@solidjs/router";
import { createResource, createSignal, For, type JSX, Show } from "solid-js";
import { ApiError } from "../lib/api";
import { CopyButton, Dialog } from "./ui";

/**
 * A form that submits to the API: tracks `busy`, and maps a 400's `fields` onto the inputs they
 * name (`litellm_params.model` stays whole; `nested` collapses `a.b` to `a` for forms with one
 * input per top-level field). Anything else is a form-level error under `_`.
 */
export function createApiForm(opts: { nested?: boolean } = {}) {
  const [busy, setBusy] = createSignal(false);
  const [errors, setErrors] = createSignal<Record<string, string>>({});
  const key = (field: string) => (opts.nested ? field.split(".")[0]! : field);
  const submit = async (action: () => Promise<void>) => {
    setBusy(true);
    setErrors({});
    try {
      await action();
    } catch (err) {
      if (err instanceof ApiError && err.fields.length) setErrors(Object.fromEntries(err.fields.map((f) => [key(f.field), f.message])));
      else setErrors({ _: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const invalid = (field: string) => (errors()[field] ? "true" : undefined);
  const FieldError = (p: { field: string }) => (
    <Show when={errors()[p.field]}>
      <span class="field-error">{errors()[p.field]}</span>
    </Show>
  );
  const FormError = () => (
    <Show when={errors()._}>
      <div class="field-error">{errors()._}</div>
    </Show>
  );
  return { busy, errors, setErrors, submit, invalid, FieldError, FormError };
}

/** A dialog whose footer is Cancel + a submit button that reads `busyLabel` while the form is busy. */
export function FormDialog(props: {
  title: string;
  submitLabel: string;
  busyLabel: string;
  busy: boolean;
  onSubmit: () => void;
  onClose: () => void;
  children: JSX.Element;
}) {
  return (
    <Dialog
      title={props.title}
      onSubmit={props.onSubmit}
      onClose={props.onClose}
      footer={
        <>
          <button class="btn" type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button class="btn primary" type="submit" disabled={props.busy}>
            {props.busy ? props.busyLabel : props.submitLabel}
          </button>
        </>
      }
    >
      {props.children}
    </Dialog>
  );
}

/** What else a destructive action touches, listed in its confirmation (agents using a model, …). */
export interface Dependents {
  /** Heading of the list, e.g. "Agents using this model". */
  label: string;
  /** What uses the object; a name with a link when there is a page for it. */
  load: () => Promise<Array<{ name: string; href?: string; note?: string }>>;
  /** Shown when nothing depends on it. */
  none: string;
  /** Shown under a non-empty list: what happens to them. */
  consequence?: string;
}

/**
 * The one "Are you sure?" of every destructive action (never the browser's confirm()): says what
 * happens, lists what depends on the object, runs the action once. A failure stays in the dialog;
 * success closes it (the caller refetches in `onDone`).
 */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  children: JSX.Element;
  action: () => Promise<void>;
  onClose: () => void;
  onDone?: () => void;
  dependents?: Dependents;
}) {
  const [busy, setBusy] = createSignal(false);
  const [error, setError] = createSignal("");
  const [dependents] = createResource(
    () => props.dependents,
    (d) => d.load(),
  );
  const run = async () => {
    setBusy(true);
    setError("");
    try {
      await props.action();
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
      return;
    }
    setBusy(false);
    props.onClose();
    props.onDone?.();
  };
  return (
    <Dialog
      title={props.title}
      onClose={props.onClose}
      footer={
        <>
          <button class="btn" type="button" onClick={props.onClose}>
            Cancel
          </button>
          <button class="btn danger solid" type="button" disabled={busy()} onClick={run} data-testid="confirm-action">
            {busy() ? "Working…" : props.confirmLabel}
          </button>
        </>
      }
    >
      <div class="confirm-text">{props.children}</div>
      <Show when={props.dependents}>
        {(d) => (
          <div class="confirm-dependents" data-testid="confirm-dependents">
            <strong>{d().label}</strong>
            <Show when={!dependents.loading} fallback={<div class="muted">Checking what uses it…</div>}>
              <Show
                when={!dependents.error}
                fallback={<div class="field-error">Could not check: {(dependents.error as Error)?.message}</div>}
              >
                <Show
                  when={(dependents() ?? []).length}
                  fallback={
                    <div class="muted" data-testid="confirm-no-dependents">
                      {d().none}
                    </div>
                  }
                >
                  <ul>
                    <For each={dependents()}>
                      {(x) => (
                        <li data-testid="confirm-dependent">
                          <Show when={x.href} fallback={<span>{x.name}</span>}>
                            <A href={x.href!}>{x.name}</A>
                          </Show>
                          <Show when={x.note}>
                            {" "}
                            <span class="muted">{x.note}</span>
                          </Show>
                        </li>
                      )}
                    </For>
                  </ul>
                  <Show when={d().consequence}>
                    <div class="field-error">{d().consequence}</div>
                  </Show>
                </Show>
              </Show>
            </Show>
          </div>
        )}
      </Show>
      <Show when={error()}>
        <div class="alert" role="alert" data-testid="confirm-error">
          {error()}
        </div>
      </Show>
    </Dialog>
  );
}

/** Shows a newly created secret once, with a copy button; `children` says how to use it. */
export function RevealSecretDialog(props: {
  secret: string;
  testId: string;
  onClose: () => void;
  children: JSX.Element;
  title?: string;
  what?: string;
}) {
  return (
    <Dialog
      title={props.title ?? "Copy your new key"}
      onClose={props.onClose}
      footer={
        <button class="btn primary" onClick={props.onClose}>
          Done
        </button>
      }
    >
      <div class="alert success">This is the only time the {props.what ?? "key"} is shown. Store it somewhere safe.</div>
      <div class="secret-box">
        <code data-testid={props.testId}>{props.secret}</code>
        <CopyButton value={props.secret} />
      </div>
      <div class="muted">{props.children}</div>
    </Dialog>
  );
}
