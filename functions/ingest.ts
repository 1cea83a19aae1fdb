// placeholder: replaced by the ingest entry point
export const handler = async (): Promise<void> => {};
