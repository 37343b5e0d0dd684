ALTER TABLE "mcp_servers" DROP CONSTRAINT "mcp_servers_name_unique";--> statement-breakpoint
ALTER TABLE "runtimes" DROP CONSTRAINT "runtimes_alias_unique";--> statement-breakpoint
ALTER TABLE "vault_secrets" DROP CONSTRAINT "vault_secrets_name_unique";--> statement-breakpoint
ALTER TABLE "mcp_servers" ADD CONSTRAINT "mcp_servers_team_name_key" UNIQUE NULLS NOT DISTINCT("team_id","name");--> statement-breakpoint
ALTER TABLE "runtimes" ADD CONSTRAINT "runtimes_team_alias_key" UNIQUE NULLS NOT DISTINCT("team_id","alias");--> statement-breakpoint
ALTER TABLE "vault_secrets" ADD CONSTRAINT "vault_secrets_team_name_key" UNIQUE NULLS NOT DISTINCT("team_id","name");