// A customer service with SOAP list operations, on the `soap` package's server: what ferry's SOAP source
// is tested against (the ERP mock has no list operation). Paged by page number and by continuation token.
import { createServer } from 'node:http';
import * as soap from 'soap';

const NS = 'urn:example:customers';

/** The service's WSDL, pointing at `url`. */
export function customerListWsdl(url: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="CustomerService" targetNamespace="${NS}" xmlns:tns="${NS}"
    xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/"
    xmlns:xs="http://www.w3.org/2001/XMLSchema">
  <wsdl:types>
    <xs:schema targetNamespace="${NS}" elementFormDefault="qualified">
      <xs:complexType name="CustomerType"><xs:sequence>
        <xs:element name="Id" type="xs:int"/>
        <xs:element name="Name" type="xs:string"/>
        <xs:element name="Email" type="xs:string" minOccurs="0"/>
        <xs:element name="Active" type="xs:boolean"/>
      </xs:sequence></xs:complexType>
      <xs:element name="ListCustomers"><xs:complexType><xs:sequence>
        <xs:element name="Page" type="xs:int"/><xs:element name="PageSize" type="xs:int"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="ListCustomersResponse"><xs:complexType><xs:sequence>
        <xs:element name="Customers"><xs:complexType><xs:sequence>
          <xs:element name="Customer" type="tns:CustomerType" minOccurs="0" maxOccurs="unbounded"/>
        </xs:sequence></xs:complexType></xs:element>
        <xs:element name="Total" type="xs:int"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="ListCustomersAfter"><xs:complexType><xs:sequence>
        <xs:element name="Token" type="xs:string" minOccurs="0"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="ListCustomersAfterResponse"><xs:complexType><xs:sequence>
        <xs:element name="Customer" type="tns:CustomerType" minOccurs="0" maxOccurs="unbounded"/>
        <xs:element name="NextToken" type="xs:string" minOccurs="0"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </wsdl:types>
  <wsdl:message name="ListIn"><wsdl:part name="parameters" element="tns:ListCustomers"/></wsdl:message>
  <wsdl:message name="ListOut"><wsdl:part name="parameters" element="tns:ListCustomersResponse"/></wsdl:message>
  <wsdl:message name="AfterIn"><wsdl:part name="parameters" element="tns:ListCustomersAfter"/></wsdl:message>
  <wsdl:message name="AfterOut"><wsdl:part name="parameters" element="tns:ListCustomersAfterResponse"/></wsdl:message>
  <wsdl:portType name="CustomerPortType">
    <wsdl:operation name="ListCustomers"><wsdl:input message="tns:ListIn"/><wsdl:output message="tns:ListOut"/></wsdl:operation>
    <wsdl:operation name="ListCustomersAfter"><wsdl:input message="tns:AfterIn"/><wsdl:output message="tns:AfterOut"/></wsdl:operation>
  </wsdl:portType>
  <wsdl:binding name="CustomerBinding" type="tns:CustomerPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <wsdl:operation name="ListCustomers"><soap:operation soapAction="${NS}/ListCustomers"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>
    <wsdl:operation name="ListCustomersAfter"><soap:operation soapAction="${NS}/ListCustomersAfter"/>
      <wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>
  </wsdl:binding>
  <wsdl:service name="CustomerService">
    <wsdl:port name="CustomerPort" binding="tns:CustomerBinding"><soap:address location="${url}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>`;
}

/** A running customer list service. */
export interface CustomerListService {
  url: string;
  wsdlUrl: string;
  /** Calls answered, by operation. */
  calls: Record<string, number>;
  close(): Promise<void>;
}

/** Starts the service on 127.0.0.1 with `count` customers (ids 1..count). */
export async function startCustomerList(count: number): Promise<CustomerListService> {
  const customers = Array.from({ length: count }, (_, i) => ({
    Id: i + 1,
    Name: `Customer ${i + 1} & Söhne`,
    ...(i % 3 === 0 ? {} : { Email: `c${i + 1}@example.com` }),
    Active: i % 2 === 0,
  }));
  const calls: Record<string, number> = { ListCustomers: 0, ListCustomersAfter: 0 };
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const url = `http://127.0.0.1:${port}/customers`;
  const services = {
    CustomerService: {
      CustomerPort: {
        ListCustomers(args: { Page: number | string; PageSize: number | string }) {
          calls.ListCustomers = (calls.ListCustomers ?? 0) + 1;
          const size = Number(args.PageSize);
          const from = (Number(args.Page) - 1) * size;
          return { Customers: { Customer: customers.slice(from, from + size) }, Total: customers.length };
        },
        ListCustomersAfter(args: { Token?: string } | null) {
          calls.ListCustomersAfter = (calls.ListCustomersAfter ?? 0) + 1;
          const from = args?.Token ? Number(Buffer.from(args.Token, 'base64url').toString()) : 0;
          const page = customers.slice(from, from + 4);
          const next =
            from + 4 < customers.length ? Buffer.from(String(from + 4)).toString('base64url') : undefined;
          return { Customer: page, ...(next ? { NextToken: next } : {}) };
        },
      },
    },
  };
  soap.listen(server, { path: '/customers', services, xml: customerListWsdl(url) });
  return {
    url,
    wsdlUrl: `${url}?wsdl`,
    calls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
