/** Values for the flagship's environment variables that pass its checks; no API answers at them. */
export const flagshipPlaceholderEnv = {
  SOURCE_URL: 'https://crm.example.com/api/v1/customers',
  SOURCE_API_KEY: 'source-key-123456',
  DEST_URL: 'https://shop.example.com/api/v2/orders',
  DEST_TOKEN_URL: 'https://shop.example.com/oauth/token',
  DEST_CLIENT_ID: 'client-1',
  DEST_CLIENT_SECRET: 'client-secret-123456',
};
