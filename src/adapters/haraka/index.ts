/**
 * `exchange-anonymous-tls/haraka`: X-ANONYMOUSTLS for Haraka. The EHLO reply lists the keyword
 * exactly when the inbound anonymous selection (I1–I4) chose a certificate whose key TLS can use;
 * the command gets 220 and the connection is upgraded presenting that certificate. Configured by
 * `config/<plugin name>.ini` (a snapshot and/or a folder store), or in code with
 * {@link createHarakaPlugin}. Haraka is CommonJS: this entry point has no top-level await, so
 * Node ≥ 20.19 can `require()` it. In Haraka's `plugins/exchange_anonymous_tls.js`:
 *
 * ```js
 * const p = require("exchange-anonymous-tls/haraka");
 * for (const k in p) exports[k] = p[k];
 * ```
 *
 * @packageDocumentation
 */
import { createHarakaPlugin, type HarakaPluginHooks } from "./plugin.js";

export { HarakaConfigError, type HarakaIni, type HarakaSettings } from "./config.js";
export {
  createHarakaPlugin,
  type HarakaAnonymousTlsSession,
  type HarakaConnection,
  type HarakaEhloDecision,
  type HarakaNext,
  type HarakaPluginHooks,
  type HarakaPluginObject,
  type HarakaPluginOptions,
  type HarakaSelectionOptions,
} from "./plugin.js";

// The plugin Haraka loads by copying these onto its plugin object: configured by the .ini.
const ini: HarakaPluginHooks = createHarakaPlugin();

/** Haraka calls it once at start-up: reads the .ini and registers the hooks below. */
export const register: HarakaPluginHooks["register"] = ini.register;
/** The `capabilities` hook: X-ANONYMOUSTLS in the EHLO reply, or not, and why (logged). */
export const exchange_anonymous_tls_capabilities: HarakaPluginHooks["exchange_anonymous_tls_capabilities"] =
  ini.exchange_anonymous_tls_capabilities;
/** The `unrecognized_command` hook: answers X-ANONYMOUSTLS with 220 and runs the handshake. */
export const exchange_anonymous_tls_command: HarakaPluginHooks["exchange_anonymous_tls_command"] =
  ini.exchange_anonymous_tls_command;
/** The `disconnect` hook: ends a handshake in progress. */
export const exchange_anonymous_tls_disconnect: HarakaPluginHooks["exchange_anonymous_tls_disconnect"] =
  ini.exchange_anonymous_tls_disconnect;
/** The `helo` and `ehlo` hooks: an earlier EHLO's offer is withdrawn until the next decision. */
export const exchange_anonymous_tls_helo: HarakaPluginHooks["exchange_anonymous_tls_helo"] =
  ini.exchange_anonymous_tls_helo;
