// The reference tus server (@tus/server + @tus/file-store), the baseline the service is measured against.
// With "durable" after the directory, each PATCH's bytes are fdatasync'ed before it is answered, as the service
// acknowledges them: the same durability, for the figure beside the target's (which compares with the store as it is).
import http from "node:http";
import fsProm from "node:fs/promises";
import { Server } from "@tus/server";
import { FileStore } from "@tus/file-store";

class DurableFileStore extends FileStore {
  async write(readable, fileId, offset) {
    const end = await super.write(readable, fileId, offset);
    const handle = await fsProm.open(this.resolve(fileId), "r+");
    try {
      await handle.datasync();
    } finally {
      await handle.close();
    }
    return end;
  }
}

const [port, directory, mode] = process.argv.slice(2);
const Store = mode === "durable" ? DurableFileStore : FileStore;
const tus = new Server({ path: "/files", datastore: new Store({ directory }) });
http.createServer((req, res) => tus.handle(req, res)).listen(Number(port), "127.0.0.1", () => {
  console.log(`listening ${port}`);
});
