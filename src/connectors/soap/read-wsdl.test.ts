import { readFile } from 'node:fs/promises';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { WSDL } from 'soap';
import { describe, expect, it } from 'vitest';
import { allowedElements } from '../../xml/schema/content-model.ts';
import type { SchemaType } from '../../xml/schema/xsd-model.ts';
import { readWsdl, selectOperation } from './read-wsdl.ts';

const FILE = new URL('../../../examples/schemas/erp-order-service.wsdl', import.meta.url);
const fetchText = (url: URL) => readFile(fileURLToPath(url), 'utf8');

/** Element names by nesting, in schema order: the shape the soap package's describe() gives too. */
function shape(type: SchemaType): unknown {
  if (type.kind === 'simple') return 'simple';
  return Object.fromEntries(
    [...allowedElements(type.content)].map(([name, e]) => [name, shape(e.decl.type())]),
  );
}

function describeShape(description: unknown): unknown {
  if (typeof description === 'string') return 'simple';
  return Object.fromEntries(
    Object.entries(description as Record<string, unknown>)
      .filter(([key]) => key !== 'targetNSAlias' && key !== 'targetNamespace')
      .map(([key, value]) => [key, describeShape(value)]),
  );
}

describe('reading the ERP WSDL', () => {
  it('finds the same operations, element order and nesting as the soap package does', async () => {
    const model = await readWsdl(FILE, fetchText);
    const theirs = new WSDL(await fetchText(FILE), pathToFileURL(fileURLToPath(FILE)).href, {});
    await new Promise<void>((resolve, reject) =>
      theirs.onReady((error) => (error ? reject(error) : resolve())),
    );
    const described = theirs.describeServices() as Record<
      string,
      Record<string, Record<string, { input: unknown; output: unknown }>>
    >;
    for (const name of ['CreateOrder', 'GetOrder']) {
      const operation = selectOperation(model, { operation: name });
      const theirsOp = described.OrderService?.OrderPort?.[name];
      if (operation.input.kind !== 'element' || operation.output.kind !== 'element')
        throw new Error('not wrapped');
      expect(shape(operation.input.element.type())).toEqual(describeShape(theirsOp?.input));
      expect(shape(operation.output.element.type())).toEqual(describeShape(theirsOp?.output));
      expect(operation).toMatchObject({
        service: 'OrderService',
        port: 'OrderPort',
        version: '1.1',
        style: 'document',
        soapAction: `http://erp.example.com/orders/v1/${name}`,
        address: 'http://localhost:8080/erp/OrderService',
      });
    }
  });

  it('reads schemas a WSDL imports, and refuses a remote WSDL importing a local file', async () => {
    const documents: Record<string, string> = {
      'https://x.example/a.wsdl': `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" targetNamespace="urn:a">
        <types><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:a">
          <xs:import namespace="urn:b" schemaLocation="b.xsd"/></xs:schema></types></definitions>`,
      'https://x.example/b.xsd': `<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:b">
        <xs:element name="B" type="xs:string"/></xs:schema>`,
      'https://x.example/evil.wsdl': `<definitions xmlns="http://schemas.xmlsoap.org/wsdl/" targetNamespace="urn:e">
        <import namespace="urn:f" location="file:///etc/passwd"/></definitions>`,
    };
    const fetch = async (url: URL) => documents[url.href] ?? Promise.reject(new Error(`no ${url.href}`));
    const model = await readWsdl(new URL('https://x.example/a.wsdl'), fetch);
    expect(model.schemas.element({ ns: 'urn:b', name: 'B' })).toBeDefined();
    await expect(readWsdl(new URL('https://x.example/evil.wsdl'), fetch)).rejects.toThrow(
      'https://x.example/evil.wsdl imports file:///etc/passwd: a remote document may not import a local file',
    );
  });
});
