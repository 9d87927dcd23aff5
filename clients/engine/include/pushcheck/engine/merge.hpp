// Combining the shards of one run (`--shard K/N`) into the result of the whole run. No I/O.
#pragma once
#include "pushcheck/engine/result.hpp"

#include <string>
#include <vector>

namespace pushcheck::engine {

/// Merges the results of shards 1..N of one run, given in any order with the files they came
/// from (for error messages and `merged_from`). Per scenario: transcripts are concatenated
/// (members keep their names, so they do not collide); a check that can merge (delivery,
/// latency) is judged again from the shards' combined data (counts add, histograms merge);
/// any other finding takes the worst shard's verdict and names that shard. Checks are
/// graded only when every shard graded them (a shard whose steps failed grades none), as in
/// one run. Throws ConfigError naming the file and member when the documents are not the N
/// shards of one run.
RunResult merge_shards(const std::vector<RunResult>& shards, const std::vector<std::string>& files);

} // namespace pushcheck::engine
