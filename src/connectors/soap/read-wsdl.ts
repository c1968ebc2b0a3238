import { childNamed, childrenNamed, parseXml, resolveQName, type XmlElement } from '../../xml/parse-xml.ts';
import { readSchemas, SchemaError, type SchemaSource } from '../../xml/schema/read-xsd.ts';
import {
  type ComplexType,
  type ElementDecl,
  type QName,
  qnameKey,
  type SchemaSet,
  XSD_NS,
} from '../../xml/schema/xsd-model.ts';
import {
  type BodyShape,
  type PortModel,
  type SoapOperation,
  type SoapVersion,
  WSDL_NS,
  WSDL_SOAP11_NS,
  WSDL_SOAP12_NS,
  type WsdlModel,
} from './wsdl-model.ts';

/** Reads the text at a URL (`file:` or `http(s):`); the caller decides how, and what is allowed. */
export type FetchText = (url: URL) => Promise<string>;

/** A WSDL that cannot be read or used: the message names the document and what is wrong. */
export class WsdlError extends Error {}

// A contract split over more documents than this is more likely an import loop than a real service.
const MAX_DOCUMENTS = 64;

interface Loaded {
  readonly url: URL;
  readonly root: XmlElement;
}

/**
 * Reads a WSDL 1.1 document, every WSDL and schema it imports or includes (through `fetchText`, so remote
 * documents travel through ferry's HTTP stack), and the XML Schemas inside, into a model of its SOAP
 * ports and operations. Every document is parsed by parseXml(), so a DTD or an entity is refused here too.
 */
export async function readWsdl(url: URL, fetchText: FetchText): Promise<WsdlModel> {
  const documents = new Map<string, Loaded>();
  const schemaSources: SchemaSource[] = [];
  const wsdls: Loaded[] = [];

  const load = async (target: URL, from: URL | undefined): Promise<Loaded | undefined> => {
    const key = target.href.replace(/#.*$/, '');
    if (documents.has(key)) return undefined;
    if (from && from.protocol !== 'file:' && target.protocol === 'file:')
      throw new WsdlError(
        `${from.href} imports ${target.href}: a remote document may not import a local file`,
      );
    if (documents.size >= MAX_DOCUMENTS)
      throw new WsdlError(
        `${url.href} imports more than ${MAX_DOCUMENTS} documents; is there an import loop?`,
      );
    let text: string;
    try {
      text = await fetchText(target);
    } catch (error) {
      const why = error instanceof Error ? error.message : String(error);
      throw new WsdlError(`reading ${shown(target)}${from ? ` (imported by ${shown(from)})` : ''}: ${why}`);
    }
    const parsed = parseXml(text, { maxDepth: 128 });
    if (!parsed.ok)
      throw new WsdlError(`${shown(target)} is not a WSDL or schema ferry can read: ${parsed.message}`);
    const loaded = { url: target, root: parsed.root };
    documents.set(key, loaded);
    return loaded;
  };

  const collectSchema = async (schema: XmlElement, base: URL, chameleonNs?: string) => {
    const ns = schema.attributes.targetNamespace;
    const effective =
      ns === undefined && chameleonNs !== undefined
        ? { ...schema, attributes: { ...schema.attributes, targetNamespace: chameleonNs } }
        : schema;
    schemaSources.push({ schema: effective, location: shown(base) });
    for (const child of schema.children) {
      if (child.ns !== XSD_NS || (child.name !== 'import' && child.name !== 'include')) continue;
      const location = child.attributes.schemaLocation;
      if (location === undefined) continue;
      const target = new URL(location, base);
      const loaded = await load(target, base);
      if (!loaded) continue;
      if (loaded.root.ns !== XSD_NS || loaded.root.name !== 'schema')
        throw new WsdlError(`${shown(target)} (imported by ${shown(base)}) is not an XML Schema`);
      await collectSchema(
        loaded.root,
        target,
        child.name === 'include' ? (effective.attributes.targetNamespace ?? '') : undefined,
      );
    }
  };

  const collectWsdl = async (loaded: Loaded) => {
    const { root, url: base } = loaded;
    if (root.ns !== WSDL_NS || root.name !== 'definitions') {
      const found = root.ns === '' ? `<${root.name}>` : `<${root.name}> in ${root.ns}`;
      const hint = /^html$/i.test(root.name) ? ' (an HTML page: is the URL right?)' : '';
      throw new WsdlError(
        `${shown(base)} is not a WSDL 1.1 document: expected <definitions> in ${WSDL_NS}, found ${found}${hint}`,
      );
    }
    wsdls.push(loaded);
    for (const imported of childrenNamed(root, WSDL_NS, 'import')) {
      const location = imported.attributes.location;
      if (location === undefined) continue;
      const target = new URL(location, base);
      const next = await load(target, base);
      if (!next) continue;
      if (next.root.ns === XSD_NS && next.root.name === 'schema') await collectSchema(next.root, target);
      else await collectWsdl(next);
    }
    for (const types of childrenNamed(root, WSDL_NS, 'types')) {
      for (const schema of childrenNamed(types, XSD_NS, 'schema')) await collectSchema(schema, base);
    }
  };

  const first = await load(url, undefined);
  if (first) await collectWsdl(first);
  let schemas: SchemaSet;
  try {
    schemas = readSchemas(schemaSources);
  } catch (error) {
    if (error instanceof SchemaError) throw new WsdlError(`the schema in ${shown(url)}: ${error.message}`);
    throw error;
  }
  return buildModel(shown(url), wsdls, schemas);
}

/** A URL as messages show it: a file as its path. */
function shown(url: URL): string {
  return url.protocol === 'file:' ? decodeURIComponent(url.pathname) : url.href;
}

interface Named {
  readonly node: XmlElement;
  readonly location: string;
}

function buildModel(location: string, wsdls: readonly Loaded[], schemas: SchemaSet): WsdlModel {
  const messages = new Map<string, Named>();
  const portTypes = new Map<string, Named>();
  const bindings = new Map<string, Named>();
  const serviceNodes: Named[] = [];
  for (const { root, url } of wsdls) {
    const ns = root.attributes.targetNamespace ?? '';
    const where = shown(url);
    for (const child of root.children) {
      if (child.ns !== WSDL_NS) continue;
      const name = child.attributes.name;
      if (name === undefined) continue;
      const key = qnameKey({ ns, name });
      if (child.name === 'message') messages.set(key, { node: child, location: where });
      else if (child.name === 'portType') portTypes.set(key, { node: child, location: where });
      else if (child.name === 'binding') bindings.set(key, { node: child, location: where });
      else if (child.name === 'service') serviceNodes.push({ node: child, location: where });
    }
  }

  const at = (named: { node: XmlElement; location: string }) => `${named.location}, line ${named.node.line}`;
  const ref = (node: XmlElement, attribute: string, location: string): QName => {
    const value = node.attributes[attribute];
    const qname = value === undefined ? undefined : resolveQName(node, value);
    if (!qname)
      throw new WsdlError(
        `${attribute}="${value ?? ''}" is missing or uses an undeclared prefix (${location}, line ${node.line})`,
      );
    return qname;
  };
  const lookup = (table: Map<string, Named>, name: QName, what: string, from: Named): Named => {
    const found = table.get(qnameKey(name));
    if (!found) throw new WsdlError(`the ${what} ${name.name} named at ${at(from)} is not defined`);
    return found;
  };

  const services = new Map<string, Map<string, PortModel>>();
  for (const service of serviceNodes) {
    const ports = new Map<string, PortModel>();
    for (const port of childrenNamed(service.node, WSDL_NS, 'port')) {
      const portName = port.attributes.name ?? '';
      const binding = lookup(bindings, ref(port, 'binding', service.location), 'binding', {
        node: port,
        location: service.location,
      });
      const soapBinding =
        childNamed(binding.node, WSDL_SOAP11_NS, 'binding') ??
        childNamed(binding.node, WSDL_SOAP12_NS, 'binding');
      // HTTP and MIME bindings are not SOAP: such a port is not offered.
      if (!soapBinding) continue;
      const version: SoapVersion = soapBinding.ns === WSDL_SOAP12_NS ? '1.2' : '1.1';
      const soapNs = soapBinding.ns;
      const address = childNamed(port, soapNs, 'address')?.attributes.location;
      const defaultStyle = soapBinding.attributes.style === 'rpc' ? 'rpc' : 'document';
      const portType = lookup(portTypes, ref(binding.node, 'type', binding.location), 'portType', binding);
      const operations = new Map<string, () => SoapOperation>();
      for (const operation of childrenNamed(binding.node, WSDL_NS, 'operation')) {
        const name = operation.attributes.name ?? '';
        let cached: SoapOperation | undefined;
        operations.set(name, () => {
          cached ??= readOperation({
            service: service.node.attributes.name ?? '',
            port: portName,
            name,
            ...(address === undefined ? {} : { address }),
            version,
            soapNs,
            defaultStyle,
            bindingOperation: { node: operation, location: binding.location },
            portType,
            messages,
            schemas,
            ref,
            lookup,
          });
          return cached;
        });
      }
      ports.set(portName, { ...(address === undefined ? {} : { address }), version, operations });
    }
    services.set(service.node.attributes.name ?? '', ports);
  }
  return { location, schemas, services };
}

interface OperationContext {
  service: string;
  port: string;
  name: string;
  address?: string;
  version: SoapVersion;
  soapNs: string;
  defaultStyle: 'document' | 'rpc';
  bindingOperation: Named;
  portType: Named;
  messages: Map<string, Named>;
  schemas: SchemaSet;
  ref(node: XmlElement, attribute: string, location: string): QName;
  lookup(table: Map<string, Named>, name: QName, what: string, from: Named): Named;
}

function readOperation(context: OperationContext): SoapOperation {
  const { bindingOperation, soapNs, portType, name } = context;
  const soapOperation = childNamed(bindingOperation.node, soapNs, 'operation');
  const style = (soapOperation?.attributes.style ?? context.defaultStyle) === 'rpc' ? 'rpc' : 'document';
  const abstract = childrenNamed(portType.node, WSDL_NS, 'operation').find(
    (op) => op.attributes.name === name,
  );
  if (!abstract)
    throw new WsdlError(`the portType at ${portType.location} has no operation ${name} for its binding`);
  const body = (direction: 'input' | 'output'): BodyShape => {
    const bound = childNamed(bindingOperation.node, WSDL_NS, direction);
    const soapBody = bound ? childNamed(bound, soapNs, 'body') : undefined;
    if (soapBody?.attributes.use === 'encoded')
      throw new WsdlError(
        `operation ${name} uses SOAP encoding (use="encoded"), which ferry does not speak; only literal`,
      );
    const message = childNamed(abstract, WSDL_NS, direction);
    if (!message) return { kind: 'parts', type: emptyType(`${name} ${direction}`) };
    const named = context.lookup(
      context.messages,
      context.ref(message, 'message', portType.location),
      'message',
      { node: message, location: portType.location },
    );
    const only = soapBody?.attributes.parts?.split(/\s+/).filter((p) => p !== '');
    const parts = childrenNamed(named.node, WSDL_NS, 'part').filter(
      (part) => only === undefined || only.includes(part.attributes.name ?? ''),
    );
    if (style === 'rpc') return rpcBody(context, direction, soapBody, parts, named);
    const elements = parts.map((part) => {
      if (part.attributes.element === undefined)
        throw new WsdlError(
          `part ${part.attributes.name ?? ''} of message ${named.node.attributes.name ?? ''} (${named.location}, line ${part.line}) has a type but no element; document style needs elements`,
        );
      const qname = context.ref(part, 'element', named.location);
      const element = context.schemas.element(qname);
      if (!element)
        throw new WsdlError(
          `the element {${qname.ns}}${qname.name} of message ${named.node.attributes.name ?? ''} is in no schema of the WSDL`,
        );
      return element;
    });
    const [single] = elements;
    if (elements.length === 1 && single) return { kind: 'element', element: single };
    return {
      kind: 'parts',
      type: {
        kind: 'complex',
        name: `${name} ${direction}`,
        attributes: [],
        mixed: false,
        content: { kind: 'sequence', minOccurs: 1, maxOccurs: 1, particles: elements },
      },
    };
  };
  return {
    service: context.service,
    port: context.port,
    name,
    ...(context.address === undefined ? {} : { address: context.address }),
    version: context.version,
    style,
    soapAction: soapOperation?.attributes.soapAction ?? '',
    input: body('input'),
    output: body('output'),
  };
}

/** rpc/literal: a wrapper named after the operation (Response for the output) holding one element per part. */
function rpcBody(
  context: OperationContext,
  direction: 'input' | 'output',
  soapBody: XmlElement | undefined,
  parts: readonly XmlElement[],
  message: Named,
): BodyShape {
  const particles: ElementDecl[] = parts.map((part) => {
    const partName = part.attributes.name ?? '';
    if (part.attributes.element !== undefined) {
      const qname = context.ref(part, 'element', message.location);
      const element = context.schemas.element(qname);
      if (!element) throw new WsdlError(`the element {${qname.ns}}${qname.name} is in no schema of the WSDL`);
      return element;
    }
    const qname = context.ref(part, 'type', message.location);
    const type = context.schemas.type(qname);
    if (!type)
      throw new WsdlError(
        `the type {${qname.ns}}${qname.name} of part ${partName} is in no schema of the WSDL`,
      );
    return {
      kind: 'element',
      name: partName,
      ns: '',
      minOccurs: 1,
      maxOccurs: 1,
      nillable: true,
      type: () => type,
    };
  });
  const type: ComplexType = {
    kind: 'complex',
    name: `${context.name} ${direction}`,
    attributes: [],
    mixed: false,
    content: { kind: 'sequence', minOccurs: 1, maxOccurs: 1, particles },
  };
  return {
    kind: 'element',
    element: {
      kind: 'element',
      name: direction === 'input' ? context.name : `${context.name}Response`,
      ns: soapBody?.attributes.namespace ?? '',
      minOccurs: 1,
      maxOccurs: 1,
      nillable: false,
      type: () => type,
    },
  };
}

function emptyType(name: string): ComplexType {
  return { kind: 'complex', name, attributes: [], mixed: false };
}

/** Which service, port and operation to use: by name, or the only one there is. */
export interface OperationChoice {
  readonly service?: string | undefined;
  readonly port?: string | undefined;
  readonly operation: string;
}

/** Picks one operation from a WSDL, with a message listing the choices when the name is wrong or missing. */
export function selectOperation(model: WsdlModel, choice: OperationChoice): SoapOperation {
  const pick = <T>(
    kind: string,
    table: ReadonlyMap<string, T>,
    wanted: string | undefined,
    within: string,
    describe: (name: string, item: T) => string = (n) => n,
  ): [string, T] => {
    if (wanted !== undefined) {
      const found = table.get(wanted);
      if (found === undefined)
        throw new WsdlError(
          `${within} has no ${kind} "${wanted}"; it has ${[...table.entries()].map(([n, i]) => describe(n, i)).join(', ') || 'none'}`,
        );
      return [wanted, found];
    }
    const entries = [...table.entries()];
    const [only] = entries;
    if (entries.length === 1 && only) return only;
    if (entries.length === 0) throw new WsdlError(`${within} has no ${kind} ferry can use (SOAP 1.1 or 1.2)`);
    throw new WsdlError(
      `${within} has ${entries.length} ${kind}s: ${entries.map(([n, i]) => describe(n, i)).join(', ')}; choose one with ${kind}:`,
    );
  };
  const [serviceName, ports] = pick('service', model.services, choice.service, `the WSDL ${model.location}`);
  const [portName, port] = pick(
    'port',
    ports,
    choice.port,
    `service ${serviceName}`,
    (name, p) => `${name} (SOAP ${p.version})`,
  );
  const [, operation] = pick('operation', port.operations, choice.operation, `port ${portName}`);
  return operation();
}
