export { startScriptedModel, type RecordedRequest, type ScriptedModel, type ScriptedModelOptions } from "./server.ts";
export type { ScriptAction, ScriptRule } from "./script.ts";
export type { RecordedMedia } from "./media.ts";
