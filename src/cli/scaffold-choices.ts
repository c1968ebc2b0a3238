/** Source auth styles `ferry init` can scaffold. */
export const SOURCE_AUTH_CHOICES = ['api_key', 'bearer', 'none'] as const;

/** Destination auth styles `ferry init` can scaffold. */
export const DEST_AUTH_CHOICES = ['oauth2', 'bearer', 'none'] as const;
