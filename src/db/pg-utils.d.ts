/** node-postgres's parameter conversion (pg/lib/utils.js), used by src/db/batch.ts as pg's own queries use it. */
declare module 'pg/lib/utils.js' {
  const utils: { prepareValue(value: unknown): string | Buffer | null };
  export default utils;
}
