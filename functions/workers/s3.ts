// placeholder: replaced by the worker entry point
export const handler = async (): Promise<void> => {};
