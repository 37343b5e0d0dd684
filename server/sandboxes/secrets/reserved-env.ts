/** Keys a passthrough, a spec or a vault secret can never set: they steer the supervisor or would carry LAP secrets. */
export const RESERVED_SANDBOX_ENV =
  /^(LAP_|BUN_|HTTP_PROXY$|HTTPS_PROXY$|NO_PROXY$|http_proxy$|https_proxy$|no_proxy$|MASTER_KEY$|ENCRYPTION_KEY$|DATABASE_URL$|LITELLM_API_KEY$)/;

export const isReservedSandboxEnv = (name: string) => RESERVED_SANDBOX_ENV.test(name);
