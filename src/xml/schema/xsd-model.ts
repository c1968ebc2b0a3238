/** The XML Schema namespace. */
export const XSD_NS = 'http://www.w3.org/2001/XMLSchema';
/** The XML Schema instance namespace (xsi:nil, xsi:type). */
export const XSI_NS = 'http://www.w3.org/2001/XMLSchema-instance';

/** A qualified name: namespace URI ('' for none) and local name. */
export interface QName {
  readonly ns: string;
  readonly name: string;
}

/** The constraining facets of a simple type, gathered along its derivation chain. */
export interface Facets {
  /** One entry per derivation step; a value must match one pattern of every step (XSD 1.0, 4.3.4). */
  readonly patterns?: readonly (readonly RegExp[])[];
  readonly enumeration?: readonly string[];
  readonly length?: number;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minInclusive?: string;
  readonly maxInclusive?: string;
  readonly minExclusive?: string;
  readonly maxExclusive?: string;
  readonly totalDigits?: number;
  readonly fractionDigits?: number;
}

/** A simple type: a built-in primitive (or derived built-in) restricted by facets, a list, or a union. */
export interface SimpleType {
  readonly kind: 'simple';
  /** The type's own name, for messages ("OrderIdType"); the built-in's when it is one. */
  readonly name: string;
  /** The XSD built-in it derives from, by local name ("string", "dateTime", "int"). */
  readonly builtin: string;
  readonly facets: Facets;
  /** Present for an xs:list: the item type; facets then count items. */
  readonly itemType?: SimpleType;
  /** Present for an xs:union: the member types, tried in order. */
  readonly memberTypes?: readonly SimpleType[];
}

/** An element declaration, as it occurs in a content model (occurrence included). */
export interface ElementDecl {
  readonly kind: 'element';
  readonly name: string;
  /** The namespace the element is written in: '' when it is unqualified. */
  readonly ns: string;
  readonly minOccurs: number;
  /** Infinity for "unbounded". */
  readonly maxOccurs: number;
  readonly nillable: boolean;
  /** Resolved on first use, so recursive types (a Category holding Categories) cost nothing up front. */
  type(): SchemaType;
}

/** A group of particles: all in order, exactly one, or all in any order. */
export interface ModelGroup {
  readonly kind: 'sequence' | 'choice' | 'all';
  readonly minOccurs: number;
  readonly maxOccurs: number;
  readonly particles: readonly Particle[];
}

/** An xs:any wildcard: any element from the namespaces it allows; ferry passes its content through. */
export interface Wildcard {
  readonly kind: 'any';
  readonly minOccurs: number;
  readonly maxOccurs: number;
}

/** What a content model is made of. */
export type Particle = ElementDecl | ModelGroup | Wildcard;

/** An attribute declaration. */
export interface AttributeDecl {
  readonly name: string;
  /** '' when unqualified (the usual case). */
  readonly ns: string;
  readonly required: boolean;
  readonly type: SimpleType;
  readonly fixed?: string;
}

/** A complex type: attributes and either element content, simple content (text), or nothing. */
export interface ComplexType {
  readonly kind: 'complex';
  readonly name: string;
  readonly attributes: readonly AttributeDecl[];
  /** Element content; undefined for empty or simple content. */
  readonly content?: ModelGroup;
  /** Text content of a type with simpleContent. */
  readonly simpleContent?: SimpleType;
  /** Text may appear between child elements. */
  readonly mixed: boolean;
}

/** Any type an element can have. */
export type SchemaType = SimpleType | ComplexType;

/** Every global declaration of a set of schemas, resolved lazily by qualified name. */
export interface SchemaSet {
  element(name: QName): ElementDecl | undefined;
  type(name: QName): SchemaType | undefined;
  /** Target namespaces of the schemas read, for prefixes. */
  readonly namespaces: readonly string[];
}

/** `{ns}name`. */
export function qnameKey(name: QName): string {
  return `{${name.ns}}${name.name}`;
}
