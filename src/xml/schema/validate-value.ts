import { firstNonXmlChar } from '../escape-xml.ts';
import { XML_ATTRIBUTE_PREFIX, XML_TEXT_KEY } from '../xml-object.ts';
import { allowedElements, hasWildcard, namesOf } from './content-model.ts';
import { describeValue, toLexical } from './lexical.ts';
import { checkBuiltin, compareValues, normalizeWhitespace, primitiveOf, xsdLength } from './xsd-builtins.ts';
import type { ComplexType, ElementDecl, ModelGroup, SchemaType, SimpleType } from './xsd-model.ts';

/** One way a value breaks its schema, at an element path (`Order/Customer/Email`, `Order/Line[2]/Sku`). */
export interface ValueProblem {
  /** Slash-separated local names from the validated element's content; `@name` for an attribute. */
  readonly path: string;
  /** A stable short code: required, unexpected, occurs, type, pattern, enumeration, length, range, digits. */
  readonly code: string;
  readonly message: string;
}

const MAX_PROBLEMS = 50;

/**
 * Checks a plain value (ferry's XML convention, docs/xml.md) against a schema type before it is written:
 * required elements and attributes, unknown names, occurrences, choices, and every simple value against
 * its built-in type and facets. Returns every problem (up to 50), each at its element path.
 */
export function validateValue(type: SchemaType, value: unknown, path = ''): ValueProblem[] {
  const problems: ValueProblem[] = [];
  checkType(type, value, path, problems);
  return problems.slice(0, MAX_PROBLEMS);
}

/** Checks a value against one element declaration (occurrence aside): nil, then its type. */
export function validateElement(decl: ElementDecl, value: unknown, path: string): ValueProblem[] {
  const problems: ValueProblem[] = [];
  checkElement(decl, value, path, problems);
  return problems.slice(0, MAX_PROBLEMS);
}

const join = (path: string, name: string) => (path === '' ? name : `${path}/${name}`);

function add(problems: ValueProblem[], path: string, code: string, message: string) {
  if (problems.length < MAX_PROBLEMS) problems.push({ path, code, message });
}

function checkElement(decl: ElementDecl, value: unknown, path: string, problems: ValueProblem[]) {
  if (value === null) {
    if (!decl.nillable)
      add(problems, path, 'required', 'is null, and the schema does not allow it to be nil');
    return;
  }
  checkType(decl.type(), value, path, problems);
}

function checkType(type: SchemaType, value: unknown, path: string, problems: ValueProblem[]) {
  if (type.kind === 'simple') {
    if (type.builtin === 'anyType') return;
    checkSimpleValue(type, value, path, problems);
  } else checkComplex(type, value, path, problems);
}

function checkSimpleValue(type: SimpleType, value: unknown, path: string, problems: ValueProblem[]) {
  if (type.itemType && Array.isArray(value)) {
    const texts = value.map(toLexical);
    if (texts.some((t) => t === undefined)) {
      add(problems, path, 'type', 'must be a list of text values');
      return;
    }
    checkSimple(type, texts.join(' '), path, problems);
    return;
  }
  const text = toLexical(value);
  if (text === undefined) {
    add(problems, path, 'type', `must be a text value (${type.name}), not ${describeValue(value)}`);
    return;
  }
  checkSimple(type, text, path, problems);
}

/** Checks one lexical value; returns whether it passed (unions try their members with it). */
function checkSimple(type: SimpleType, raw: string, path: string, problems: ValueProblem[]): boolean {
  const bad = firstNonXmlChar(raw);
  if (bad !== undefined) {
    add(problems, path, 'type', `contains ${bad}, a character XML cannot carry`);
    return false;
  }
  const before = problems.length;
  if (type.memberTypes) {
    const fits = type.memberTypes.some((member) => checkSimple(member, raw, path, []));
    if (!fits)
      add(
        problems,
        path,
        'type',
        `matches none of the types ${type.memberTypes.map((m) => m.name).join(', ')}`,
      );
  } else if (type.itemType) {
    const items = raw.trim() === '' ? [] : raw.trim().split(/\s+/);
    for (const [index, item] of items.entries())
      checkSimple(type.itemType, item, `${path}[${index + 1}]`, problems);
    checkLength(type, items.length, path, problems, 'items');
  } else {
    const value = normalizeWhitespace(type.builtin, raw);
    const lexical = checkBuiltin(type.builtin, value);
    if (lexical !== null) {
      add(problems, path, 'type', `${lexical}, got ${quote(value)}`);
      return false;
    }
    checkLength(type, xsdLength(type.builtin, value), path, problems, 'characters');
    checkFacets(type, value, path, problems);
  }
  if (type.facets.enumeration && !type.facets.enumeration.includes(normalizeWhitespace(type.builtin, raw)))
    add(
      problems,
      path,
      'enumeration',
      `must be one of ${type.facets.enumeration.map(quote).join(', ')}, got ${quote(raw)}`,
    );
  return problems.length === before;
}

function checkLength(type: SimpleType, length: number, path: string, problems: ValueProblem[], unit: string) {
  const { length: exact, minLength, maxLength } = type.facets;
  if (exact !== undefined && length !== exact)
    add(problems, path, 'length', `must be exactly ${exact} ${unit} long, got ${length}`);
  if (minLength !== undefined && length < minLength)
    add(
      problems,
      path,
      'length',
      length === 0 ? 'must not be empty' : `must be at least ${minLength} ${unit} long, got ${length}`,
    );
  if (maxLength !== undefined && length > maxLength)
    add(problems, path, 'length', `must be at most ${maxLength} ${unit} long, got ${length}`);
}

function checkFacets(type: SimpleType, value: string, path: string, problems: ValueProblem[]) {
  const { facets } = type;
  for (const step of facets.patterns ?? []) {
    if (!step.some((pattern) => pattern.test(value))) {
      add(
        problems,
        path,
        'pattern',
        `does not match the pattern ${step.map((p) => patternText(p)).join(' or ')} (${type.name}), got ${quote(value)}`,
      );
      break;
    }
  }
  const bounds: [keyof typeof facets, (c: number) => boolean, string][] = [
    ['minInclusive', (c) => c >= 0, 'at least'],
    ['maxInclusive', (c) => c <= 0, 'at most'],
    ['minExclusive', (c) => c > 0, 'more than'],
    ['maxExclusive', (c) => c < 0, 'less than'],
  ];
  for (const [facet, ok, words] of bounds) {
    const bound = facets[facet] as string | undefined;
    if (bound === undefined) continue;
    const order = compareValues(type.builtin, value, bound);
    if (order !== undefined && !ok(order))
      add(problems, path, 'range', `must be ${words} ${bound}, got ${value}`);
  }
  if (
    primitiveOf(type.builtin) === 'decimal' &&
    (facets.totalDigits !== undefined || facets.fractionDigits !== undefined)
  ) {
    const digits = value.replace(/^[+-]/, '');
    const [whole = '', fraction = ''] = digits.split('.');
    const significantFraction = fraction.replace(/0+$/, '');
    const total = (whole.replace(/^0+/, '') + significantFraction).length;
    if (facets.totalDigits !== undefined && total > facets.totalDigits)
      add(problems, path, 'digits', `has ${total} digits, at most ${facets.totalDigits} allowed`);
    if (facets.fractionDigits !== undefined && significantFraction.length > facets.fractionDigits)
      add(
        problems,
        path,
        'digits',
        `has ${significantFraction.length} decimal places, at most ${facets.fractionDigits} allowed`,
      );
  }
}

function checkComplex(type: ComplexType, value: unknown, path: string, problems: ValueProblem[]) {
  if (type.simpleContent && (typeof value !== 'object' || value === null)) {
    checkAttributes(type, {}, path, problems);
    checkSimpleValue(type.simpleContent, value, path, problems);
    return;
  }
  if (type.content === undefined && !type.simpleContent && (value === '' || value === undefined)) {
    checkAttributes(type, {}, path, problems);
    return;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    add(problems, path, 'type', `must be an object of elements (${type.name}), not ${describeValue(value)}`);
    return;
  }
  const object = value as Record<string, unknown>;
  checkAttributes(type, object, path, problems);
  if (type.simpleContent) {
    const text = object[XML_TEXT_KEY];
    if (text !== undefined) checkSimpleValue(type.simpleContent, text, path, problems);
    for (const key of Object.keys(object)) {
      if (key !== XML_TEXT_KEY && !key.startsWith(XML_ATTRIBUTE_PREFIX))
        add(problems, join(path, key), 'unexpected', `is not allowed: ${type.name} holds text, not elements`);
    }
    return;
  }
  const allowed = allowedElements(type.content);
  const open = hasWildcard(type.content);
  for (const key of Object.keys(object)) {
    if (key.startsWith(XML_ATTRIBUTE_PREFIX) || allowed.has(key) || open) continue;
    if (key === XML_TEXT_KEY) {
      if (!type.mixed) add(problems, path, 'unexpected', `${type.name} holds elements, not text`);
      continue;
    }
    const expected = [...allowed.keys()];
    add(
      problems,
      join(path, key),
      'unexpected',
      `is not an element of ${type.name}${expected.length > 0 ? `; it has ${expected.join(', ')}` : '; it has none'}`,
    );
  }
  if (type.content) checkGroup(type.content, object, path, problems, 1, 1);
}

function checkAttributes(
  type: ComplexType,
  object: Record<string, unknown>,
  path: string,
  problems: ValueProblem[],
) {
  const declared = new Set<string>();
  for (const attribute of type.attributes) {
    const key = `${XML_ATTRIBUTE_PREFIX}${attribute.name}`;
    declared.add(key);
    const value = object[key];
    const at = join(path, key);
    if (value === undefined || value === null) {
      if (attribute.required) add(problems, at, 'required', 'is a required attribute');
      continue;
    }
    checkSimpleValue(attribute.type, value, at, problems);
    if (attribute.fixed !== undefined && toLexical(value) !== attribute.fixed)
      add(problems, at, 'enumeration', `must be ${quote(attribute.fixed)} (fixed by the schema)`);
  }
  for (const key of Object.keys(object)) {
    if (key.startsWith(XML_ATTRIBUTE_PREFIX) && !declared.has(key))
      add(problems, join(path, key), 'unexpected', `is not an attribute of ${type.name}`);
  }
}

/** Checks the elements of a group; `min`/`max` multiply occurrences for groups nested in repeating ones. */
function checkGroup(
  group: ModelGroup,
  object: Record<string, unknown>,
  path: string,
  problems: ValueProblem[],
  min: number,
  max: number,
) {
  const groupMin = min * group.minOccurs;
  const groupMax = max * group.maxOccurs;
  if (group.kind === 'choice') {
    const present = group.particles.filter((p) => namesOf(p).some((name) => present_(object[name])));
    if (present.length > 1 && groupMax <= 1) {
      const names = present.map((p) => namesOf(p).find((name) => present_(object[name]))).join(' and ');
      add(
        problems,
        path,
        'occurs',
        `holds ${names}, but the schema allows only one of ${group.particles.flatMap(namesOf).join(', ')}`,
      );
    }
    if (present.length === 0) {
      if (groupMin > 0 && !group.particles.some((p) => emptiable(p)))
        add(problems, path, 'required', `needs one of ${group.particles.flatMap(namesOf).join(', ')}`);
      return;
    }
    for (const particle of present) checkParticle(particle, object, path, problems, 0, groupMax);
    return;
  }
  for (const particle of group.particles) checkParticle(particle, object, path, problems, groupMin, groupMax);
}

function checkParticle(
  particle: ModelGroup['particles'][number],
  object: Record<string, unknown>,
  path: string,
  problems: ValueProblem[],
  min: number,
  max: number,
) {
  if (particle.kind === 'any') return;
  if (particle.kind !== 'element') {
    // An optional group whose elements are all absent is simply not there.
    if (particle.minOccurs === 0 || min === 0) {
      if (!namesOf(particle).some((name) => present_(object[name]))) return;
    }
    checkGroup(particle, object, path, problems, Math.min(min, 1), max);
    return;
  }
  const raw = object[particle.name];
  const items = raw === undefined ? [] : Array.isArray(raw) && !listTyped(particle) ? raw : [raw];
  const at = join(path, particle.name);
  const count = items.filter((item) => item !== undefined && (item !== null || particle.nillable)).length;
  const least = min * particle.minOccurs;
  const most = max * particle.maxOccurs;
  if (count < least) {
    if (count === 0) add(problems, at, 'required', raw === null ? 'is required (got null)' : 'is required');
    else add(problems, at, 'occurs', `occurs ${count} times, at least ${least} needed`);
  }
  if (count > most) add(problems, at, 'occurs', `occurs ${count} times, at most ${most} allowed`);
  const many = items.length > 1;
  for (const [index, item] of items.entries()) {
    if (item === undefined || (item === null && !particle.nillable)) continue;
    checkElement(particle, item, many ? `${at}[${index + 1}]` : at, problems);
  }
}

/** An element of list type takes an array as its one value, not as repetitions. */
function listTyped(decl: ElementDecl): boolean {
  const type = decl.type();
  return decl.maxOccurs <= 1 && type.kind === 'simple' && type.itemType !== undefined;
}

function present_(value: unknown): boolean {
  return value !== undefined && value !== null && !(Array.isArray(value) && value.length === 0);
}

function emptiable(particle: ModelGroup['particles'][number]): boolean {
  if (particle.minOccurs === 0) return true;
  if (particle.kind === 'element' || particle.kind === 'any') return false;
  return particle.kind === 'choice'
    ? particle.particles.some(emptiable)
    : particle.particles.every(emptiable);
}

function quote(text: string): string {
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  return JSON.stringify(shown);
}

function patternText(pattern: RegExp): string {
  return pattern.source.replace(/^\^\(\?:/, '').replace(/\)\$$/, '');
}
