// Writes the decode fuzzer's seed corpus (corpus_seeds.h) into a directory:
//   gossipmonger-fuzz-corpus fuzz/corpus/decode
#include <cstdio>
#include <fstream>
#include <string>

#include "corpus_seeds.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s <directory>\n", argv[0]);
    return 2;
  }
  for (const gossipmonger::fuzz::Seed& seed : gossipmonger::fuzz::CorpusSeeds()) {
    const std::string path = std::string(argv[1]) + "/" + seed.name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(seed.bytes.data(), static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return 1;
    }
  }
  return 0;
}
