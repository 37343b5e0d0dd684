// Every table LAP owns. drizzle-kit reads this file to generate migrations into drizzle/.
export * from "./teams";
export * from "./api-keys";
export * from "./dashboard-sessions";
export * from "./gateway";
export * from "./mcp";
export * from "./runtimes";
export * from "./agents";
export * from "./sessions";
export * from "./sandboxes";
export * from "./slack";
export * from "./vault";
export * from "./approvals";
export * from "./schedules";
export * from "./triggers";
export * from "./linear";
export * from "./audit";
export * from "./memory";
