import { readExampleFile } from '../example-file.ts';

/** Target namespace of the ERP OrderService contract (examples/schemas/erp-order-service.wsdl). */
export const ERP_NAMESPACE = 'http://erp.example.com/orders/v1';
/** Path of the OrderService endpoint, as the contract's soap:address gives it. */
export const ERP_SERVICE_PATH = '/erp/OrderService';
/** The two operations of the contract. */
export type ErpOperation = 'CreateOrder' | 'GetOrder';
/** The soapAction URI of each operation. */
export const ERP_SOAP_ACTIONS: Readonly<Record<ErpOperation, string>> = {
  CreateOrder: `${ERP_NAMESPACE}/CreateOrder`,
  GetOrder: `${ERP_NAMESPACE}/GetOrder`,
};

let cached: string | undefined;

/** The partner's WSDL as shipped, read once (kept beside the order JSON Schema, so dist/ finds it too). */
export function loadErpWsdl(): string {
  cached ??= readExampleFile('schemas/erp-order-service.wsdl');
  return cached;
}

/** The WSDL with its soap:address pointing at `endpointUrl`, so a client built from it calls this server. */
export function erpWsdlFor(endpointUrl: string): string {
  const escaped = endpointUrl.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return loadErpWsdl().replace(/(<soap:address\s+location=")[^"]*(")/, `$1${escaped}$2`);
}
