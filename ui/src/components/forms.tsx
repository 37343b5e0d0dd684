import { createSignal, type JSX, Show } from "solid-js";
import { ApiError } from "../lib/api";
import { CopyButton, Dialog, toast } from "./ui";

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
          <button class="btn" type="button" onClick={props.onClose}>Cancel</button>
          <button class="btn primary" type="submit" disabled={props.busy}>{props.busy ? props.busyLabel : props.submitLabel}</button>
        </>
      }
    >
      {props.children}
    </Dialog>
  );
}

/**
 * "Are you sure?" for destructive actions: says what happens, runs the action once, reports a
 * failure as a toast, and closes either way (the caller refetches in `onDone`).
 */
export function ConfirmDialog(props: {
  title: string;
  confirmLabel: string;
  children: JSX.Element;
  action: () => Promise<void>;
  onClose: () => void;
  onDone?: () => void;
}) {
  const [busy, setBusy] = createSignal(false);
  const run = async () => {
    setBusy(true);
    try {
      await props.action();
    } catch (err) {
      toast((err as Error).message);
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
          <button class="btn" type="button" onClick={props.onClose}>Cancel</button>
          <button class="btn danger solid" type="button" disabled={busy()} onClick={run}>{props.confirmLabel}</button>
        </>
      }
    >
      {props.children}
    </Dialog>
  );
}

/** Shows a newly created secret once, with a copy button; `children` says how to use it. */
export function RevealSecretDialog(props: { secret: string; testId: string; onClose: () => void; children: JSX.Element; title?: string; what?: string }) {
  return (
    <Dialog title={props.title ?? "Copy your new key"} onClose={props.onClose} footer={<button class="btn primary" onClick={props.onClose}>Done</button>}>
      <div class="alert success">This is the only time the {props.what ?? "key"} is shown. Store it somewhere safe.</div>
      <div class="secret-box">
        <code data-testid={props.testId}>{props.secret}</code>
        <CopyButton value={props.secret} />
      </div>
      <div class="muted">{props.children}</div>
    </Dialog>
  );
}
