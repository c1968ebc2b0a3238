import type { HttpRequest, HttpResponse } from '../../core/http-types.ts';
import { redactSecrets } from '../../core/secret-registry.ts';
import { clarkName, type XmlElement } from '../../xml/parse-xml.ts';
import { readValue } from '../../xml/schema/read-value.ts';
import { type ValueProblem, validateValue } from '../../xml/schema/validate-value.ts';
import { Prefixes, writeElement } from '../../xml/schema/write-value.ts';
import type { ElementDecl } from '../../xml/schema/xsd-model.ts';
import { decodeBody } from './decode-body.ts';
import { type FaultRule, type JudgedFault, judgeFault } from './fault-rules.ts';
import { buildEnvelope, type FaultDetailPaths, readSoapResponse, soapHeaders } from './soap-envelope.ts';
import { type UsernameToken, usernameTokenHeader } from './ws-security.ts';
import type { BodyShape, SoapOperation } from './wsdl-model.ts';

/** What calling an operation gave back. */
export type CallResult =
  /** The output as a plain value: the output element's content, or the parts by element name. */
  | { readonly kind: 'result'; readonly value: unknown }
  | { readonly kind: 'fault'; readonly judged: JudgedFault }
  /** Not the SOAP answer the operation promises: the message says what was expected and what came. */
  | { readonly kind: 'invalid'; readonly message: string; readonly hostile: boolean };

/** Builds requests for a WSDL's operations and reads their answers; knows nothing of records. */
export interface SoapCaller {
  /** Problems of a value as the operation's input, each at its element path; [] when it may be sent. */
  validate(operation: SoapOperation, value: unknown): ValueProblem[];
  /**
   * The HTTP request calling `operation` with `value`. With a digest UsernameToken the body is written
   * afresh each time it is read, and the retry layer copies the request for every attempt: each attempt
   * then carries its own nonce and time, as a server refusing replayed nonces requires.
   */
  request(operation: SoapOperation, value: unknown, endpoint: string, signal?: AbortSignal): HttpRequest;
  read(operation: SoapOperation, response: HttpResponse): CallResult;
}

/** How a SoapCaller talks to the service. */
export interface SoapCallerOptions {
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly usernameToken?: UsernameToken;
  readonly faultRules: readonly FaultRule[];
  readonly faultDetail: FaultDetailPaths;
  readonly now?: () => number;
}

/** Creates the caller of one endpoint. */
export function createSoapCaller(options: SoapCallerOptions): SoapCaller {
  const token = options.usernameToken;
  return {
    validate(operation, value) {
      const shape = operation.input;
      return shape.kind === 'element'
        ? validateValue(shape.element.type(), value)
        : validateValue(shape.type, value);
    },
    request(operation, value, endpoint, signal) {
      const body = writeBody(operation.input, value);
      const headers = { ...options.headers, ...soapHeaders(operation.version, operation.soapAction) };
      const envelope = () =>
        buildEnvelope(
          operation.version,
          token ? [usernameTokenHeader(token, operation.version, options.now)] : [],
          body,
        );
      const base = {
        method: 'POST' as const,
        url: options.url,
        headers,
        endpoint,
        ...(signal ? { signal } : {}),
      };
      if (token?.passwordType !== 'digest') return { ...base, body: envelope() };
      return {
        ...base,
        get body() {
          return envelope();
        },
      };
    },
    read(operation, response) {
      const read = readSoapResponse(
        decodeBody(response),
        operation.version,
        response.headers['content-type'],
      );
      const at = `${redactSecrets(options.url)} (${operation.name})`;
      if (read.kind === 'not_soap')
        return {
          kind: 'invalid',
          message: `${at} answered ${response.status}: ${read.message}`,
          hostile: read.hostile,
        };
      if (read.kind === 'fault')
        return { kind: 'fault', judged: judgeFault(read.fault, options.faultRules, options.faultDetail) };
      const output = readBody(operation.output, read.elements);
      if ('problem' in output)
        return {
          kind: 'invalid',
          message: `${at} answered ${response.status}: ${output.problem}`,
          hostile: false,
        };
      return { kind: 'result', value: output.value };
    },
  };
}

function writeBody(shape: BodyShape, value: unknown): string {
  if (shape.kind === 'element') return writeElement(shape.element, value, new Prefixes());
  const object = (value ?? {}) as Record<string, unknown>;
  const out: string[] = [];
  for (const particle of shape.type.content?.particles ?? []) {
    if (particle.kind !== 'element') continue;
    const part = object[particle.name];
    if (part === undefined) continue;
    for (const item of Array.isArray(part) ? part : [part])
      out.push(writeElement(particle, item, new Prefixes()));
  }
  return out.join('');
}

function readBody(
  shape: BodyShape,
  elements: readonly XmlElement[],
): { value: unknown } | { problem: string } {
  if (shape.kind === 'element') {
    const expected = shape.element;
    const found = elements[0];
    if (!found || !sameName(found, expected))
      return {
        problem: `expected ${clarkName(expected)} in the SOAP Body, got ${found ? clarkName(found) : 'an empty Body'}`,
      };
    return { value: readValue(expected.type(), found) };
  }
  const out: Record<string, unknown> = {};
  const parts = (shape.type.content?.particles ?? []).filter((p): p is ElementDecl => p.kind === 'element');
  for (const element of elements) {
    const part = parts.find((p) => sameName(element, p));
    if (!part) return { problem: `${clarkName(element)} is not a part of the operation's output` };
    out[part.name] = readValue(part.type(), element);
  }
  return { value: out };
}

function sameName(element: XmlElement, decl: ElementDecl): boolean {
  return element.name === decl.name && element.ns === decl.ns;
}
