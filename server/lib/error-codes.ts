import { z } from "zod";

/** Every `error.code` LAP answers with (the envelope of ./errors.ts, or OpenAI's shape on gateway routes). */
export const errorCode = z.enum([
  /** The input failed validation; `fields` names each failing field. */
  "invalid_request",
  /** The body is not JSON, or is nested deeper than LAP_MAX_JSON_DEPTH. */
  "invalid_json",
  /** The body, a file or an attachment is over its size limit. */
  "payload_too_large",
  /** A file upload of a type the route does not take. */
  "unsupported_media_type",
  /** No key, cookie or token, or one that is not (or no longer) valid. */
  "unauthorized",
  /** The caller is known but may not do this (docs/security.md "Users, teams and roles"). */
  "forbidden",
  /** No such object, or one the caller may not see (answered alike), or no such route. */
  "not_found",
  /** The object's state does not allow it (a decided approval, a paused agent, a duplicate name). */
  "conflict",
  /** Too many failed sign-ins or keys from one place; `retry-after` says when to try again. */
  "rate_limited",
  /** An unexpected failure; the request id is in the logs. */
  "internal_error",
  /** The LLM gateway's configuration (LAP_GATEWAY_CONFIG) does not load. */
  "gateway_config_invalid",
  /** No deployment serves the model asked for. */
  "model_not_found",
  /** Every deployment of the model is cooling down; `retry-after` says when one is back. */
  "no_deployments_available",
  /** The provider did not answer within the deployment's timeout. */
  "timeout",
  /** The provider refused LAP's credentials for the deployment. */
  "upstream_auth_error",
  /** The provider refused the request itself (4xx). */
  "upstream_invalid_request",
  /** The provider rate-limited the call. */
  "upstream_rate_limited",
  /** The provider could not be reached. */
  "upstream_unreachable",
  /** The provider failed (5xx or an unreadable answer). */
  "upstream_error",
  /** The endpoint (completions, embeddings) is not one this model's provider offers. */
  "unsupported_for_provider",
  /** The key's models do not include this one. */
  "key_model_access_denied",
  /** The key's team may not call this model. */
  "team_model_access_denied",
  /** The key's user may not call this model. */
  "user_model_access_denied",
  /** The key, team or user has spent its max_budget for this period. */
  "budget_exceeded",
  /** max_parallel_requests calls are already in flight. */
  "parallel_request_limit_reached",
  /** rpm_limit or tpm_limit reached in this minute. */
  "rate_limit_exceeded",
  /** The key's team is blocked. */
  "team_blocked",
  /** The key's user is disabled. */
  "user_disabled",
  /** LLM_PROVIDER=litellm without the LiteLLM settings this call needs (`fields` names them). */
  "litellm_missing_config",
  /** The external LiteLLM refused to make a key. */
  "litellm_key_generate_failed",
  /** Single sign-on failed (the provider's answer, the state or the claims). */
  "oidc_failed",
  /** The OIDC provider could not be reached or described. */
  "oidc_unavailable",
  /** An MCP server's OAuth flow failed. */
  "oauth_failed",
  /** The Kubernetes API could not be reached or refused the call. */
  "kubernetes_unavailable",
  /** The agent's memory would go over its entry or size limits. */
  "memory_full",
  /** An agent would hold more files than LAP_AGENT_FILES_MAX_COUNT. */
  "too_many_files",
  /** A workspace path LAP will not follow (docs/files.md). */
  "unsafe_path",
  /** The session's workspace lives on another LAP host. */
  "other_host",
  /** The session's workspace cannot be reached now: its pod does not answer and no copy of it was kept (docs/files.md). */
  "not_available",
]);
export type ErrorCode = z.infer<typeof errorCode>;
