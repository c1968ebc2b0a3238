import { childNamed, resolveQName, type XmlElement } from '../parse-xml.ts';
import { builtinListItem, isBuiltin } from './xsd-builtins.ts';
import {
  type AttributeDecl,
  type ComplexType,
  type ElementDecl,
  type Facets,
  type ModelGroup,
  type Particle,
  type QName,
  qnameKey,
  type SchemaSet,
  type SchemaType,
  type SimpleType,
  XSD_NS,
} from './xsd-model.ts';
import { xsdPatternToRegExp } from './xsd-pattern.ts';

/** One `xs:schema` element and where it was read (for messages). */
export interface SchemaSource {
  readonly schema: XmlElement;
  /** A file path or URL, as the user would recognise it. */
  readonly location: string;
}

/** A schema that refers to something no schema read defines, or that ferry cannot read. */
export class SchemaError extends Error {}

interface Declared {
  readonly node: XmlElement;
  readonly info: SchemaInfo;
}

interface SchemaInfo {
  readonly targetNamespace: string;
  readonly qualifiedElements: boolean;
  readonly qualifiedAttributes: boolean;
  readonly location: string;
}

const ANY_TYPE: SimpleType = { kind: 'simple', name: 'anyType', builtin: 'anyType', facets: {} };
const FACET_NAMES = new Set([
  'length',
  'minLength',
  'maxLength',
  'totalDigits',
  'fractionDigits',
  'minInclusive',
  'maxInclusive',
  'minExclusive',
  'maxExclusive',
]);

/**
 * Reads XML Schema 1.0 documents into ferry's model: global elements, named types, groups and attribute
 * groups across every schema given (imports and includes are the caller's to fetch and pass in). Covers
 * what SOAP contracts use: sequence/choice/all, group and attributeGroup references, complexContent
 * extension and restriction, simpleContent, simple types with facets, lists and unions. Types resolve
 * lazily, so recursive types and forward references cost nothing.
 *
 * Hand-written over the namespace-resolved tree of parseXml(): the `soap` package reads schemas too, but
 * merges every prefix into one table (two schemas using `tns` for different namespaces collide) and keeps
 * facets only as untyped children; see docs/xml.md.
 */
export function readSchemas(sources: readonly SchemaSource[]): SchemaSet {
  const elements = new Map<string, Declared>();
  const types = new Map<string, Declared>();
  const groups = new Map<string, Declared>();
  const attributeGroups = new Map<string, Declared>();
  const attributes = new Map<string, Declared>();
  const namespaces = new Set<string>();

  for (const { schema, location } of sources) {
    const info: SchemaInfo = {
      targetNamespace: schema.attributes.targetNamespace ?? '',
      qualifiedElements: schema.attributes.elementFormDefault === 'qualified',
      qualifiedAttributes: schema.attributes.attributeFormDefault === 'qualified',
      location,
    };
    if (info.targetNamespace !== '') namespaces.add(info.targetNamespace);
    for (const node of schema.children) {
      if (node.ns !== XSD_NS) continue;
      const name = node.attributes.name;
      if (name === undefined) continue;
      const key = qnameKey({ ns: info.targetNamespace, name });
      const target =
        node.name === 'element'
          ? elements
          : node.name === 'complexType' || node.name === 'simpleType'
            ? types
            : node.name === 'group'
              ? groups
              : node.name === 'attributeGroup'
                ? attributeGroups
                : node.name === 'attribute'
                  ? attributes
                  : undefined;
      target?.set(key, { node, info });
    }
  }

  const typeCache = new Map<string, SchemaType>();
  const elementCache = new Map<string, ElementDecl>();

  const where = (node: XmlElement, info: SchemaInfo) => `${info.location}, line ${node.line}`;

  function refOf(node: XmlElement, attribute: string, info: SchemaInfo): QName {
    const value = node.attributes[attribute] ?? '';
    const qname = resolveQName(node, value);
    if (qname === undefined)
      throw new SchemaError(`${attribute}="${value}" uses an undeclared prefix (${where(node, info)})`);
    return qname;
  }

  function namedType(name: QName, node: XmlElement, info: SchemaInfo): SchemaType {
    if (name.ns === XSD_NS) {
      if (name.name === 'anyType') return ANY_TYPE;
      const item = builtinListItem(name.name);
      if (item !== undefined) {
        return { kind: 'simple', name: name.name, builtin: 'token', facets: {}, itemType: builtinType(item) };
      }
      if (isBuiltin(name.name)) return builtinType(name.name);
      throw new SchemaError(`xs:${name.name} is not an XML Schema 1.0 type (${where(node, info)})`);
    }
    const key = qnameKey(name);
    const cached = typeCache.get(key);
    if (cached) return cached;
    const declared = types.get(key);
    if (!declared)
      throw new SchemaError(
        `the type {${name.ns}}${name.name} is defined by no schema read (${where(node, info)})`,
      );
    return declared.node.name === 'simpleType'
      ? simpleType(declared.node, declared.info, name.name, key)
      : complexType(declared.node, declared.info, name.name, key);
  }

  function builtinType(name: string): SimpleType {
    const key = qnameKey({ ns: XSD_NS, name });
    let cached = typeCache.get(key) as SimpleType | undefined;
    if (!cached) {
      cached = { kind: 'simple', name, builtin: name, facets: {} };
      typeCache.set(key, cached);
    }
    return cached;
  }

  function simpleTypeOf(type: SchemaType, node: XmlElement, info: SchemaInfo): SimpleType {
    if (type.kind === 'simple') return type;
    if (type.simpleContent) return type.simpleContent;
    throw new SchemaError(`a simple type is needed here, ${type.name} is complex (${where(node, info)})`);
  }

  function simpleType(node: XmlElement, info: SchemaInfo, name: string, cacheKey?: string): SimpleType {
    const restriction = childNamed(node, XSD_NS, 'restriction');
    const list = childNamed(node, XSD_NS, 'list');
    const union = childNamed(node, XSD_NS, 'union');
    let result: SimpleType;
    if (restriction) {
      const base = baseSimple(restriction, info);
      result = { ...base, name, facets: restrict(base.facets, restriction, info) };
    } else if (list) {
      const inline = childNamed(list, XSD_NS, 'simpleType');
      const item = inline
        ? simpleType(inline, info, `${name} item`)
        : simpleTypeOf(namedType(refOf(list, 'itemType', info), list, info), list, info);
      result = { kind: 'simple', name, builtin: 'token', facets: {}, itemType: item };
    } else if (union) {
      const members = (union.attributes.memberTypes ?? '')
        .split(/\s+/)
        .filter((m) => m !== '')
        .map((member) => {
          const qname = resolveQName(union, member);
          if (!qname) throw new SchemaError(`memberTypes names an undeclared prefix (${where(union, info)})`);
          return simpleTypeOf(namedType(qname, union, info), union, info);
        });
      for (const inline of union.children.filter((c) => c.ns === XSD_NS && c.name === 'simpleType'))
        members.push(simpleType(inline, info, `${name} member`));
      result = { kind: 'simple', name, builtin: 'anySimpleType', facets: {}, memberTypes: members };
    } else {
      throw new SchemaError(`simpleType ${name} has no restriction, list or union (${where(node, info)})`);
    }
    if (cacheKey) typeCache.set(cacheKey, result);
    return result;
  }

  function baseSimple(restriction: XmlElement, info: SchemaInfo): SimpleType {
    const inline = childNamed(restriction, XSD_NS, 'simpleType');
    if (inline) return simpleType(inline, info, 'anonymous');
    return simpleTypeOf(namedType(refOf(restriction, 'base', info), restriction, info), restriction, info);
  }

  function restrict(base: Facets, restriction: XmlElement, info: SchemaInfo): Facets {
    const facets: Record<string, unknown> = { ...base };
    const patterns: RegExp[] = [];
    const enumeration: string[] = [];
    for (const facet of restriction.children) {
      if (facet.ns !== XSD_NS) continue;
      const value = facet.attributes.value;
      if (value === undefined) continue;
      if (facet.name === 'pattern') {
        const regexp = xsdPatternToRegExp(value);
        // A pattern JavaScript cannot express is left to the destination to check.
        if (regexp) patterns.push(regexp);
      } else if (facet.name === 'enumeration') enumeration.push(value);
      else if (FACET_NAMES.has(facet.name)) {
        const numeric = ['length', 'minLength', 'maxLength', 'totalDigits', 'fractionDigits'];
        if (numeric.includes(facet.name)) {
          const n = Number(value);
          if (!Number.isInteger(n) || n < 0)
            throw new SchemaError(`${facet.name}="${value}" is not a whole number (${where(facet, info)})`);
          facets[facet.name] = n;
        } else facets[facet.name] = value;
      }
    }
    if (patterns.length > 0) facets.patterns = [...(base.patterns ?? []), patterns];
    if (enumeration.length > 0) facets.enumeration = enumeration;
    return facets as Facets;
  }

  function complexType(node: XmlElement, info: SchemaInfo, name: string, cacheKey?: string): ComplexType {
    // Filled in place after caching, so a type that contains itself finds itself.
    const result: {
      kind: 'complex';
      name: string;
      attributes: AttributeDecl[];
      content?: ModelGroup;
      simpleContent?: SimpleType;
      mixed: boolean;
    } = { kind: 'complex', name, attributes: [], mixed: node.attributes.mixed === 'true' };
    if (cacheKey) typeCache.set(cacheKey, result);

    const complexContent = childNamed(node, XSD_NS, 'complexContent');
    const simpleContent = childNamed(node, XSD_NS, 'simpleContent');
    if (complexContent) {
      if (complexContent.attributes.mixed === 'true') result.mixed = true;
      const derivation =
        childNamed(complexContent, XSD_NS, 'extension') ?? childNamed(complexContent, XSD_NS, 'restriction');
      if (!derivation)
        throw new SchemaError(
          `complexContent needs an extension or restriction (${where(complexContent, info)})`,
        );
      const base = namedType(refOf(derivation, 'base', info), derivation, info);
      const own = contentOf(derivation, info);
      const baseComplex = base.kind === 'complex' ? base : undefined;
      if (derivation.name === 'extension') {
        const parts = [baseComplex?.content, own].filter((p): p is ModelGroup => p !== undefined);
        const [only] = parts;
        if (parts.length === 1 && only) result.content = only;
        else if (parts.length === 2)
          result.content = { kind: 'sequence', minOccurs: 1, maxOccurs: 1, particles: parts };
      } else if (own) result.content = own;
      result.attributes = mergeAttributes(baseComplex?.attributes ?? [], attributesOf(derivation, info));
    } else if (simpleContent) {
      const derivation =
        childNamed(simpleContent, XSD_NS, 'extension') ?? childNamed(simpleContent, XSD_NS, 'restriction');
      if (!derivation)
        throw new SchemaError(
          `simpleContent needs an extension or restriction (${where(simpleContent, info)})`,
        );
      const base = namedType(refOf(derivation, 'base', info), derivation, info);
      const baseText = base.kind === 'simple' ? base : base.simpleContent;
      if (!baseText)
        throw new SchemaError(
          `simpleContent derives from ${base.name}, which has no text content (${where(derivation, info)})`,
        );
      result.simpleContent =
        derivation.name === 'restriction'
          ? { ...baseText, facets: restrict(baseText.facets, derivation, info) }
          : baseText;
      const inherited = base.kind === 'complex' ? base.attributes : [];
      result.attributes = mergeAttributes(inherited, attributesOf(derivation, info));
    } else {
      const content = contentOf(node, info);
      if (content) result.content = content;
      result.attributes = attributesOf(node, info);
    }
    return result;
  }

  function occurs(node: XmlElement, info: SchemaInfo): { minOccurs: number; maxOccurs: number } {
    const min = node.attributes.minOccurs ?? '1';
    const max = node.attributes.maxOccurs ?? '1';
    const minOccurs = Number(min);
    const maxOccurs = max === 'unbounded' ? Number.POSITIVE_INFINITY : Number(max);
    if (!Number.isInteger(minOccurs) || minOccurs < 0 || Number.isNaN(maxOccurs) || maxOccurs < minOccurs)
      throw new SchemaError(
        `minOccurs="${min}" maxOccurs="${max}" is not a valid range (${where(node, info)})`,
      );
    return { minOccurs, maxOccurs };
  }

  /** The model group directly inside a type or derivation (sequence, choice, all, or a group reference). */
  function contentOf(node: XmlElement, info: SchemaInfo): ModelGroup | undefined {
    for (const child of node.children) {
      if (child.ns !== XSD_NS) continue;
      if (child.name === 'sequence' || child.name === 'choice' || child.name === 'all')
        return modelGroup(child, info);
      if (child.name === 'group') return groupRef(child, info);
    }
    return undefined;
  }

  function groupRef(node: XmlElement, info: SchemaInfo): ModelGroup {
    const name = refOf(node, 'ref', info);
    const declared = groups.get(qnameKey(name));
    if (!declared)
      throw new SchemaError(
        `the group {${name.ns}}${name.name} is defined by no schema read (${where(node, info)})`,
      );
    const inner = contentOf(declared.node, declared.info);
    if (!inner) throw new SchemaError(`group ${name.name} is empty (${where(declared.node, declared.info)})`);
    return { ...inner, ...occurs(node, info) };
  }

  function modelGroup(node: XmlElement, info: SchemaInfo): ModelGroup {
    const particles: Particle[] = [];
    for (const child of node.children) {
      if (child.ns !== XSD_NS) continue;
      if (child.name === 'element') particles.push(localElement(child, info));
      else if (child.name === 'sequence' || child.name === 'choice' || child.name === 'all')
        particles.push(modelGroup(child, info));
      else if (child.name === 'group') particles.push(groupRef(child, info));
      else if (child.name === 'any') particles.push({ kind: 'any', ...occurs(child, info) });
    }
    return { kind: node.name as ModelGroup['kind'], ...occurs(node, info), particles };
  }

  function elementType(node: XmlElement, info: SchemaInfo, name: string): () => SchemaType {
    const inlineComplex = childNamed(node, XSD_NS, 'complexType');
    const inlineSimple = childNamed(node, XSD_NS, 'simpleType');
    let resolved: SchemaType | undefined;
    return () => {
      if (resolved) return resolved;
      if (inlineComplex) resolved = complexType(inlineComplex, info, name);
      else if (inlineSimple) resolved = simpleType(inlineSimple, info, name);
      else if (node.attributes.type !== undefined)
        resolved = namedType(refOf(node, 'type', info), node, info);
      else resolved = ANY_TYPE;
      return resolved;
    };
  }

  function localElement(node: XmlElement, info: SchemaInfo): ElementDecl {
    const range = occurs(node, info);
    if (node.attributes.ref !== undefined) {
      const target = refOf(node, 'ref', info);
      const global = globalElement(target);
      if (!global)
        throw new SchemaError(
          `the element {${target.ns}}${target.name} is defined by no schema read (${where(node, info)})`,
        );
      return { ...global, ...range, type: global.type };
    }
    const name = node.attributes.name;
    if (name === undefined) throw new SchemaError(`an element needs a name or a ref (${where(node, info)})`);
    const form = node.attributes.form;
    const qualified = form === undefined ? info.qualifiedElements : form === 'qualified';
    return {
      kind: 'element',
      name,
      ns: qualified ? info.targetNamespace : '',
      ...range,
      nillable: node.attributes.nillable === 'true',
      type: elementType(node, info, name),
    };
  }

  function globalElement(name: QName): ElementDecl | undefined {
    const key = qnameKey(name);
    const cached = elementCache.get(key);
    if (cached) return cached;
    const declared = elements.get(key);
    if (!declared) return undefined;
    const element: ElementDecl = {
      kind: 'element',
      name: name.name,
      ns: name.ns,
      minOccurs: 1,
      maxOccurs: 1,
      nillable: declared.node.attributes.nillable === 'true',
      type: elementType(declared.node, declared.info, name.name),
    };
    elementCache.set(key, element);
    return element;
  }

  function attributesOf(node: XmlElement, info: SchemaInfo): AttributeDecl[] {
    const out: AttributeDecl[] = [];
    for (const child of node.children) {
      if (child.ns !== XSD_NS) continue;
      if (child.name === 'attribute') out.push(attribute(child, info));
      else if (child.name === 'attributeGroup') {
        const name = refOf(child, 'ref', info);
        const declared = attributeGroups.get(qnameKey(name));
        if (!declared)
          throw new SchemaError(
            `the attributeGroup {${name.ns}}${name.name} is defined by no schema read (${where(child, info)})`,
          );
        out.push(...attributesOf(declared.node, declared.info));
      }
    }
    return out;
  }

  function attribute(node: XmlElement, info: SchemaInfo): AttributeDecl {
    const required = node.attributes.use === 'required';
    const fixed = node.attributes.fixed;
    if (node.attributes.ref !== undefined) {
      const name = refOf(node, 'ref', info);
      const declared = attributes.get(qnameKey(name));
      if (!declared && name.ns !== 'http://www.w3.org/XML/1998/namespace')
        throw new SchemaError(
          `the attribute {${name.ns}}${name.name} is defined by no schema read (${where(node, info)})`,
        );
      const type = declared ? attributeType(declared.node, declared.info) : builtinType('string');
      return { name: name.name, ns: name.ns, required, type, ...(fixed === undefined ? {} : { fixed }) };
    }
    const name = node.attributes.name;
    if (name === undefined)
      throw new SchemaError(`an attribute needs a name or a ref (${where(node, info)})`);
    const form = node.attributes.form;
    const qualified = form === undefined ? info.qualifiedAttributes : form === 'qualified';
    return {
      name,
      ns: qualified ? info.targetNamespace : '',
      required,
      type: attributeType(node, info),
      ...(fixed === undefined ? {} : { fixed }),
    };
  }

  function attributeType(node: XmlElement, info: SchemaInfo): SimpleType {
    const inline = childNamed(node, XSD_NS, 'simpleType');
    if (inline) return simpleType(inline, info, node.attributes.name ?? 'attribute');
    if (node.attributes.type === undefined) return builtinType('anySimpleType');
    return simpleTypeOf(namedType(refOf(node, 'type', info), node, info), node, info);
  }

  return {
    element: globalElement,
    type(name) {
      const declared = name.ns === XSD_NS || types.has(qnameKey(name));
      if (!declared) return undefined;
      const { node, info } = types.get(qnameKey(name)) ?? {
        node: sources[0]?.schema as XmlElement,
        info: { targetNamespace: '', qualifiedElements: false, qualifiedAttributes: false, location: '' },
      };
      return namedType(name, node, info);
    },
    namespaces: [...namespaces],
  };
}

function mergeAttributes(base: readonly AttributeDecl[], own: readonly AttributeDecl[]): AttributeDecl[] {
  const byName = new Map(base.map((a) => [`{${a.ns}}${a.name}`, a]));
  for (const attribute of own) byName.set(`{${attribute.ns}}${attribute.name}`, attribute);
  return [...byName.values()];
}
