// Writes the decode fuzzer's seed corpus (corpus_seeds.h) into a directory,
// and its sealed seeds (sealed_seeds.h) into a second one when given:
//   gossipmonger-fuzz-corpus fuzz/corpus/decode fuzz/corpus/sealed
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "corpus_seeds.h"
#include "sealed_seeds.h"

namespace {

bool WriteSeeds(const std::string& directory,
                const std::vector<gossipmonger::fuzz::Seed>& seeds) {
  for (const gossipmonger::fuzz::Seed& seed : seeds) {
    const std::string path = directory + "/" + seed.name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(seed.bytes.data(), static_cast<std::streamsize>(seed.bytes.size()));
    if (!out) {
      std::fprintf(stderr, "cannot write %s\n", path.c_str());
      return false;
    }
  }
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::fprintf(stderr, "usage: %s <directory> [<sealed directory>]\n", argv[0]);
    return 2;
  }
  if (!WriteSeeds(argv[1], gossipmonger::fuzz::CorpusSeeds())) return 1;
  if (argc == 3 && !WriteSeeds(argv[2], gossipmonger::fuzz::SealedSeeds())) return 1;
  return 0;
}
