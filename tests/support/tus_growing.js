// A camera's streaming client (issue 29): tus-js-client with uploadLengthDeferred, reading a file that is still being
// written. Each chunk waits until the file holds it; once the marker file `<path>.done` exists the recording is over
// and the last PATCH declares Upload-Length. Reads by position, so a process killed mid-recording resumes from the
// server's offset when started again with the upload's URL.
//
//   node tus_growing.js ENDPOINT TOKEN PATH CHUNK_BYTES URL_FILE METADATA_JSON [UPLOAD_URL]
const fs = require("fs");
const tus = require("tus-js-client");

const [endpoint, token, path, chunkBytes, urlFile, metadataJson, uploadUrl] = process.argv.slice(2);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

class GrowingFile {
  constructor(file) {
    this.file = file;
    this.size = null; // not known while recording
  }
  async slice(start, end) {
    for (;;) {
      const finished = fs.existsSync(this.file + ".done"); // before the size: a finished file no longer grows
      const size = fs.statSync(this.file).size;
      if (size >= end || finished) {
        const stop = Math.min(end, size);
        const value = Buffer.alloc(Math.max(0, stop - start));
        const fd = fs.openSync(this.file, "r");
        try {
          fs.readSync(fd, value, 0, value.length, start);
        } finally {
          fs.closeSync(fd);
        }
        value.size = value.length;
        return { value, done: finished && stop >= size };
      }
      await sleep(20);
    }
  }
  close() {}
}

const upload = new tus.Upload(path, {
  endpoint,
  uploadUrl: uploadUrl || null,
  uploadLengthDeferred: true,
  chunkSize: Number(chunkBytes),
  retryDelays: [200, 500, 1000, 2000],
  headers: { Authorization: `Bearer ${token}` },
  metadata: JSON.parse(metadataJson),
  storeFingerprintForResuming: false,
  fileReader: { openFile: async (input) => new GrowingFile(input) },
  onUploadUrlAvailable: () => fs.writeFileSync(urlFile, upload.url),
  onChunkComplete: (_size, accepted) => console.log(`acknowledged ${accepted}`),
  onError: (error) => {
    console.error(`failed: ${error}`);
    process.exit(1);
  },
  onSuccess: () => {
    console.log(`done ${upload.url}`);
    process.exit(0);
  },
});
upload.start();
