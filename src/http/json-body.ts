import { errorCodes, type FastifyInstance } from 'fastify';
import secureJsonParse from 'secure-json-parse';
import { AppError } from './errors.js';

/**
 * How deeply a JSON body may nest arrays and objects. Every documented body is at most 4 levels
 * deep (a plan's features.socialAccounts.perPlatform); 32 leaves room without letting a 10 KiB body of `[[[[…`
 * cost the event loop a deep recursion in JSON.parse, the validators or any later walk.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * How many items one array (or members one object) of a JSON body may hold. No documented body
 * has a list longer than 100; without a cap, a 1 MiB array of wrong items costs the validator
 * (which reports every bad item) most of a second of the event loop.
 */
export const MAX_JSON_ITEMS = 1000;

export const TOO_DEEP_MESSAGE = `The JSON body is nested deeper than ${MAX_JSON_DEPTH} levels (MAX_JSON_DEPTH)`;
export const TOO_MANY_ITEMS_MESSAGE = `The JSON body has an array or object with more than ${MAX_JSON_ITEMS} items (MAX_JSON_ITEMS)`;

const OPEN_BRACKET = 0x5b;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACKET = 0x5d;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;

/**
 * Why `text` is too deep or too wide for MAX_JSON_DEPTH / MAX_JSON_ITEMS, or null. One pass, no
 * recursion, brackets and commas counted outside strings. It runs before JSON.parse, so it must
 * not trust the text to be valid JSON: unbalanced brackets are left for the parse to refuse.
 */
export function jsonShapeProblem(text: string): string | null {
  // separators seen in the open container at each depth (n commas: n + 1 items)
  const commas = new Uint32Array(MAX_JSON_DEPTH + 1);
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === OPEN_BRACKET || c === OPEN_BRACE) {
      if (++depth > MAX_JSON_DEPTH) return TOO_DEEP_MESSAGE;
      commas[depth] = 0;
    } else if (c === CLOSE_BRACKET || c === CLOSE_BRACE) {
      if (--depth < 0) return null;
    } else if (c === COMMA && depth > 0) {
      if (++commas[depth]! >= MAX_JSON_ITEMS) return TOO_MANY_ITEMS_MESSAGE;
    }
  }
  return null;
}

// Fastify's defaults (onProtoPoisoning, onConstructorPoisoning): a body that tries to set a
// prototype is refused as invalid JSON, as it was before this parser replaced Fastify's
const parseOptions = { protoAction: 'error', constructorAction: 'error' } as const;
/**
 * RFC 8259 §8.1: JSON text is UTF-8. Decoding leniently would store U+FFFD in place of what the
 * client meant, silently; a clear 400 says the client has an encoding bug.
 */
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });

/**
 * Replaces Fastify's `application/json` parser with one that measures depth and width before parsing.
 * Install it on the root instance before any plugin is registered: plugins copy the parser table
 * when they are registered, and the 404 handler (unknown routes, `OPTIONS /`) parses bodies too.
 */
export function installJsonParser(app: FastifyInstance, bodyLimit: number): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_request, body, done) => {
    let text: string;
    try {
      text = strictUtf8.decode(body as Buffer);
    } catch {
      return done(new AppError('BAD_REQUEST', 'The JSON body is not valid UTF-8'), undefined);
    }
    if (text.length === 0) return done(new errorCodes.FST_ERR_CTP_EMPTY_JSON_BODY(), undefined);
    const problem = jsonShapeProblem(text);
    if (problem) return done(new AppError('BAD_REQUEST', problem), undefined);
    try {
      done(null, secureJsonParse.parse(text, null, parseOptions));
    } catch {
      done(new errorCodes.FST_ERR_CTP_INVALID_JSON_BODY(), undefined);
    }
  });
}
