import {
  CST,
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  Parser,
  parseDocument,
} from 'yaml';
import { FerryError } from '../core/errors.ts';
import { formatPath, type PathKey } from './config-path.ts';
import type { NodePosition, Position } from './config-problem.ts';

/** A parsed YAML document as plain data plus where each entry was written. */
export interface YamlTree {
  readonly value: unknown;
  readonly positions: Map<string, NodePosition>;
}

// An alias may point at a large subtree; this bounds how much expanding them can cost.
const MAX_ALIAS_EXPANSIONS = 100;

/**
 * Parses YAML text into plain data, recording the line and column of every key and value.
 * Throws FERRY_ERR_CONFIG_SYNTAX (all syntax errors, with positions) when the text is not well-formed.
 */
export function parseYamlTree(text: string, file: string): YamlTree {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  if (doc.errors.length > 0) {
    // `{ size: ${N} }` is not YAML: braces end a flow mapping, so one unquoted reference cascades into
    // dozens of errors far from it. Name the one cause instead.
    const reference = unquotedFlowReference(text);
    if (reference) {
      const { line, column } = at(reference.offset);
      const message = `${reference.text} inside { } or [ ] must be quoted ("${reference.text}"): braces end a flow collection in YAML`;
      throw new FerryError(
        'FERRY_ERR_CONFIG_SYNTAX',
        `${file} is not well-formed YAML:\n  ${file}:${line}:${column} ${message}`,
        {
          details: { errors: [{ file, line, column, path: '', message }] },
        },
      );
    }
    const errors = doc.errors.map((error) => {
      // The parser notices a missing closing quote only at the end of the file; where it opened is
      // where the mistake is.
      const opened = error.code === 'MISSING_CHAR' ? unclosedQuoteOffset(text) : undefined;
      if (opened) {
        const { line, column } = at(opened.offset);
        const message = `this ${opened.quote} quote is never closed (the file ended looking for its match)`;
        return { file, line, column, path: '', message };
      }
      const { line, column } = at(error.pos[0]);
      return { file, line, column, path: '', message: error.message.split('\n')[0] ?? error.code };
    });
    throw new FerryError(
      'FERRY_ERR_CONFIG_SYNTAX',
      `${file} is not well-formed YAML:\n${errors.map((e) => `  ${e.file}:${e.line}:${e.column} ${e.message}`).join('\n')}`,
      { details: { errors } },
    );
  }

  const positions = new Map<string, NodePosition>();
  let aliasExpansions = 0;
  const walk = (node: unknown, path: PathKey[], key: Position | undefined): unknown => {
    if (isAlias(node)) {
      aliasExpansions++;
      if (aliasExpansions > MAX_ALIAS_EXPANSIONS) {
        throw new FerryError(
          'FERRY_ERR_CONFIG_SYNTAX',
          `${file}: more than ${MAX_ALIAS_EXPANSIONS} YAML aliases`,
        );
      }
      return walk(node.resolve(doc as Document), path, key);
    }
    const range = (node as Node | null)?.range;
    const value = range ? at(range[0]) : undefined;
    positions.set(formatPath(path), { ...(key ? { key } : {}), ...(value ? { value } : {}) });
    if (isMap(node)) {
      const out: Record<string, unknown> = {};
      for (const pair of node.items) {
        const keyNode = pair.key;
        const name = String(isScalar(keyNode) ? keyNode.value : keyNode);
        const keyPos = (keyNode as Node | null)?.range ? at((keyNode as Node).range![0]) : value;
        // defineProperty so a "__proto__" key stays an ordinary (and then unknown) key.
        Object.defineProperty(out, name, {
          value: walk(pair.value, [...path, name], keyPos),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return out;
    }
    if (isSeq(node)) {
      return node.items.map((item, index) => {
        const itemRange = (item as Node | null)?.range;
        return walk(item, [...path, index], itemRange ? at(itemRange[0]) : value);
      });
    }
    if (isScalar(node)) return node.value;
    return null;
  };
  return { value: walk(doc.contents, [], undefined), positions };
}

/**
 * The first `${...}` written unquoted as a value inside a flow collection (`{ a: ${X} }`, `[${X}]`), if any:
 * after `{`, `[` or `,` and an optional `key:`, on one line, outside quotes.
 */
function unquotedFlowReference(text: string): { offset: number; text: string } | undefined {
  const pattern = /[{[,][ \t]*(?:[\w.-]+[ \t]*:[ \t]*)?(\$\{[^}\s"']*\})/g;
  for (const match of text.matchAll(pattern)) {
    const lineStart = text.lastIndexOf('\n', match.index) + 1;
    const before = text.slice(lineStart, match.index);
    // Inside a comment or a quoted string it is not the cause.
    if (
      before.includes('#') ||
      (before.split('"').length - 1) % 2 === 1 ||
      (before.split("'").length - 1) % 2 === 1
    )
      continue;
    const ref = match[1]!;
    return { offset: match.index + match[0].length - ref.length, text: ref };
  }
  return undefined;
}

/** Where the first quoted scalar that never closes opens, if any. */
function unclosedQuoteOffset(text: string): { offset: number; quote: string } | undefined {
  let found: { offset: number; quote: string } | undefined;
  for (const token of new Parser().parse(text)) {
    if (token.type !== 'document') continue;
    CST.visit(token, (item) => {
      for (const t of [item.key, item.value]) {
        if (found || !t || (t.type !== 'double-quoted-scalar' && t.type !== 'single-quoted-scalar')) continue;
        if (!isClosed(t.source)) found = { offset: t.offset, quote: t.source[0] ?? '"' };
      }
      return found ? CST.visit.BREAK : undefined;
    });
    if (found) break;
  }
  return found;
}

/** True when a quoted scalar's source ends with its own closing quote rather than an escaped one. */
function isClosed(source: string): boolean {
  const quote = source[0];
  if (source.length < 2 || !source.endsWith(quote ?? '')) return false;
  const body = source.slice(1);
  if (quote === '"') {
    // The closing quote is escaped when an odd number of backslashes precede it.
    const slashes = /\\*(?="$)/.exec(body)?.[0].length ?? 0;
    return slashes % 2 === 0;
  }
  // In single quotes '' is an escaped quote: the run of quotes at the end must be odd.
  const quotes = /'+$/.exec(body)?.[0].length ?? 0;
  return quotes % 2 === 1;
}
