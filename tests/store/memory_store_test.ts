import { MemoryStore } from "../../src/store/memory_store.ts";
import { storeContract } from "./contract.ts";

storeContract("MemoryStore", () => {
  const store = new MemoryStore();
  return Promise.resolve({ store, cleanup: () => store.close() });
});
