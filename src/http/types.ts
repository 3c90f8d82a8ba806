import 'fastify';

/**
 * The kinds of caller a route may require (`config.auth`) and the permissions a route may
 * declare (`config.permission`). Empty here: the module that knows the callers fills them by
 * declaration merging, so this layer names no kind of account while a route that misspells a
 * kind or a permission is still a type error.
 */
// biome-ignore lint/suspicious/noEmptyInterface: empty on purpose, filled by declaration merging (only an interface merges)
export interface CallerKinds {}
// biome-ignore lint/suspicious/noEmptyInterface: empty on purpose, filled by declaration merging (only an interface merges)
export interface RoutePermissions {}

export type CallerKind = keyof CallerKinds;
export type RoutePermissionName = keyof RoutePermissions;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** who may call the route: one of the injected guards (./routing.ts) */
    auth?: CallerKind;
    /** the permission the route needs, for a kind of caller whose guard requires one */
    permission?: RoutePermissionName;
    /** counts toward the per-IP credential rate limit (contract §4) */
    credential?: boolean;
    /** messages the seeds fix for this route's validation failures (and its guard's 403) */
    messages?: { missing?: string; invalid?: string; notFound?: string; forbidden?: string };
    /** the body may be absent (seed clients send none): validated as `{}` */
    optionalBody?: boolean;
    /** set on the routes of documented spellings: the canonical path they alias */
    aliasOf?: string;
    /**
     * An anonymous read that every client polls (/healthz, /readyz, the plan catalogue, the console's
     * files): its answers below 400 get no request-log line unless LOG_PUBLIC_READS=true
     * (./request-log.ts); /metrics still counts them
     */
    publicRead?: boolean;
  }
}
