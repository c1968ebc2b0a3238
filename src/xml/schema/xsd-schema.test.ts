import { describe, expect, it } from 'vitest';
import { parseXml, type XmlElement } from '../parse-xml.ts';
import { differences } from './compare-value.ts';
import { readValue } from './read-value.ts';
import { readSchemas } from './read-xsd.ts';
import { validateValue } from './validate-value.ts';
import { writeElement } from './write-value.ts';
import { canonicalValue, checkBuiltin } from './xsd-builtins.ts';

const NS = 'urn:shop';
const SCHEMA = `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:s="${NS}" targetNamespace="${NS}" elementFormDefault="qualified">
  <xs:simpleType name="Sku"><xs:restriction base="xs:token"><xs:pattern value="[A-Z]{3}-\\d{3}"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Status"><xs:restriction base="xs:string"><xs:enumeration value="open"/><xs:enumeration value="closed"/></xs:restriction></xs:simpleType>
  <xs:simpleType name="Money"><xs:restriction base="xs:decimal"><xs:minInclusive value="0"/><xs:fractionDigits value="2"/></xs:restriction></xs:simpleType>
  <xs:complexType name="Amount"><xs:simpleContent><xs:extension base="s:Money"><xs:attribute name="currency" type="xs:string" use="required"/></xs:extension></xs:simpleContent></xs:complexType>
  <xs:complexType name="Party"><xs:sequence><xs:element name="Name" type="xs:string"/></xs:sequence></xs:complexType>
  <xs:complexType name="Company"><xs:complexContent><xs:extension base="s:Party"><xs:sequence><xs:element name="VatId" type="xs:string" minOccurs="0"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>
  <xs:element name="Order">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="Id" type="xs:int"/>
        <xs:element name="Status" type="s:Status"/>
        <xs:choice><xs:element name="Email" type="xs:string"/><xs:element name="Phone" type="xs:string"/></xs:choice>
        <xs:element name="Buyer" type="s:Company"/>
        <xs:element name="Line" maxOccurs="unbounded">
          <xs:complexType><xs:sequence>
            <xs:element name="Sku" type="s:Sku"/>
            <xs:element name="Qty" type="xs:positiveInteger"/>
            <xs:element name="Price" type="s:Amount"/>
          </xs:sequence><xs:attribute name="no" type="xs:int"/></xs:complexType>
        </xs:element>
        <xs:element name="Due" type="xs:date" minOccurs="0"/>
        <xs:element name="Tags" minOccurs="0"><xs:simpleType><xs:list itemType="xs:NCName"/></xs:simpleType></xs:element>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>`;

function schema() {
  const parsed = parseXml(SCHEMA);
  if (!parsed.ok) throw new Error(parsed.message);
  const set = readSchemas([{ schema: parsed.root, location: 'shop.xsd' }]);
  const order = set.element({ ns: NS, name: 'Order' });
  if (!order) throw new Error('no Order');
  return order;
}

const valid = {
  Line: [
    { '@no': 1, Price: { '@currency': 'EUR', '#text': 12.5 }, Qty: 2, Sku: 'ABC-123' },
    { Sku: 'XYZ-999', Qty: '1', Price: { '#text': '0.99', '@currency': 'EUR' } },
  ],
  Buyer: { VatId: 'DE1', Name: 'Acme' },
  Email: 'a@example.com',
  Status: 'open',
  Id: 42,
  Tags: ['rush', 'gift'],
};

describe('XSD validation, writing and reading', () => {
  it('accepts a valid value and writes it in schema order, with attributes and one namespace declaration', () => {
    const order = schema();
    expect(validateValue(order.type(), valid)).toEqual([]);
    expect(writeElement(order, valid)).toBe(
      `<ns1:Order xmlns:ns1="${NS}"><ns1:Id>42</ns1:Id><ns1:Status>open</ns1:Status><ns1:Email>a@example.com</ns1:Email>` +
        '<ns1:Buyer><ns1:Name>Acme</ns1:Name><ns1:VatId>DE1</ns1:VatId></ns1:Buyer>' +
        '<ns1:Line no="1"><ns1:Sku>ABC-123</ns1:Sku><ns1:Qty>2</ns1:Qty><ns1:Price currency="EUR">12.5</ns1:Price></ns1:Line>' +
        '<ns1:Line><ns1:Sku>XYZ-999</ns1:Sku><ns1:Qty>1</ns1:Qty><ns1:Price currency="EUR">0.99</ns1:Price></ns1:Line>' +
        '<ns1:Tags>rush gift</ns1:Tags></ns1:Order>',
    );
  });

  it('names every problem at its element path', () => {
    const problems = validateValue(schema().type(), {
      Id: 2 ** 31,
      Status: 'pending',
      Email: 'a@example.com',
      Phone: '555',
      Buyer: { VatId: 'x' },
      Line: [{ Sku: 'abc-1', Qty: 0, Price: { '#text': '-1.005' } }],
      Due: '2026-02-30',
      Tags: ['ok', '1bad'],
    });
    expect(problems.map((p) => `${p.path}: ${p.code}`)).toEqual([
      'Id: type',
      'Status: enumeration',
      ': occurs',
      'Buyer/Name: required',
      'Line/Sku: pattern',
      'Line/Qty: type',
      'Line/Price/@currency: required',
      'Line/Price: range',
      'Line/Price: digits',
      'Due: type',
      'Tags[2]: type',
    ]);
  });

  it('reads a document back by the schema: repeated elements as arrays, numbers typed, dates as text', () => {
    const order = schema();
    const parsed = parseXml(writeElement(order, { ...valid, Line: [valid.Line[0]], Due: '2026-12-03' }));
    if (!parsed.ok) throw new Error(parsed.message);
    const value = readValue(order.type(), parsed.root as XmlElement);
    expect(value).toEqual({
      Id: 42,
      Status: 'open',
      Email: 'a@example.com',
      Buyer: { Name: 'Acme', VatId: 'DE1' },
      Line: [{ '@no': 1, Sku: 'ABC-123', Qty: 2, Price: { '@currency': 'EUR', '#text': 12.5 } }],
      Due: '2026-12-03',
      Tags: ['rush', 'gift'],
    });
    expect(differences(order.type(), { ...valid, Line: [valid.Line[0]] }, value)).toEqual([]);
    expect(differences(order.type(), { Id: '042', Buyer: { Name: 'Other' } }, value)).toEqual(['Buyer/Name']);
  });

  it('checks the built-in lexical spaces', () => {
    expect(checkBuiltin('dateTime', '2026-12-03T14:30:00Z')).toBeNull();
    expect(checkBuiltin('dateTime', '2026-12-03T24:00:00')).toBeNull();
    expect(checkBuiltin('dateTime', '2026-12-03 14:30:00')).not.toBeNull();
    expect(checkBuiltin('date', '2024-02-29')).toBeNull();
    expect(checkBuiltin('date', '2023-02-29')).not.toBeNull();
    expect(checkBuiltin('decimal', '1e3')).not.toBeNull();
    expect(checkBuiltin('unsignedByte', '256')).not.toBeNull();
    expect(checkBuiltin('boolean', 'yes')).not.toBeNull();
    expect(checkBuiltin('duration', 'P1DT2H')).toBeNull();
    expect(checkBuiltin('duration', 'PT')).not.toBeNull();
    expect(canonicalValue('dateTime', '2026-12-03T15:30:00+01:00')).toBe(
      canonicalValue('dateTime', '2026-12-03T14:30:00.000Z'),
    );
    expect(canonicalValue('decimal', '+001.500')).toBe('1.5');
  });
});
