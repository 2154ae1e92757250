//! The audit log's Merkle tree, hashed as Certificate Transparency does
//! (RFC 6962 §2.1, RFC 9162 §2.1): leaf hash `SHA-256(0x00 || entry)`, node
//! hash `SHA-256(0x01 || left || right)`.
//!
//! The store keeps the hash of every *perfect* subtree (a power-of-two run of
//! leaves starting at a multiple of its size), which never changes once the
//! run is complete. Any node of a tree of any size is a perfect subtree or is
//! rebuilt from a few of them, so proofs for any size come from at most a few
//! dozen stored hashes. Which nodes a proof needs, and how a proof is checked,
//! comes from the `ct-merkle` crate: this module only maps its node indices
//! onto stored perfect subtrees.

use std::collections::HashMap;

use ct_merkle::{ConsistencyProof, InclusionProof, RootHash};
use sha2::{Digest, Sha256};

/// A SHA-256 hash of a leaf or a node.
pub type Hash = [u8; 32];

/// One perfect subtree: `2^level` leaves starting at leaf `index << level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Perfect {
    pub level: u8,
    pub index: u64,
}

/// `SHA-256(0x00 || entry)`.
pub fn leaf_hash(entry: &[u8]) -> Hash {
    let mut h = Sha256::new_with_prefix([0x00]);
    h.update(entry);
    h.finalize().into()
}

/// `SHA-256(0x01 || left || right)`.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut h = Sha256::new_with_prefix([0x01]);
    h.update(left);
    h.update(right);
    h.finalize().into()
}

/// The root of the empty tree: the hash of nothing.
pub fn empty_root() -> Hash {
    Sha256::digest([]).into()
}

/// The perfect subtrees that a tree of `size` leaves is made of, left to
/// right (its binary decomposition): what an append needs to know of the
/// tree, and what its root is folded from.
pub fn frontier(size: u64) -> Vec<Perfect> {
    let mut out = Vec::new();
    let mut start = 0u64;
    for level in (0..64u8).rev() {
        if size & (1u64 << level) != 0 {
            out.push(Perfect {
                level,
                index: start >> level,
            });
            start += 1u64 << level;
        }
    }
    out
}

/// The root of a tree from the hashes of its [`frontier`], left to right.
pub fn root_from_frontier(hashes: &[Hash]) -> Hash {
    let mut iter = hashes.iter().rev();
    match iter.next() {
        None => empty_root(),
        Some(last) => iter.fold(*last, |right, left| node_hash(left, &right)),
    }
}

/// The perfect subtrees completed by appending leaf `index`: for each, the
/// two halves it is hashed from. In order, so each may use the ones before.
pub fn completed_by(index: u64) -> Vec<(Perfect, Perfect, Perfect)> {
    let mut out = Vec::new();
    let mut level = 0u8;
    let mut i = index;
    while i & 1 == 1 {
        let parent = Perfect {
            level: level + 1,
            index: i >> 1,
        };
        out.push((
            parent,
            Perfect {
                level,
                index: i - 1,
            },
            Perfect { level, index: i },
        ));
        level += 1;
        i >>= 1;
    }
    out
}

/// Adds leaves to a tree, keeping only its frontier: how a verifier
/// recomputes roots from entries without holding the whole tree.
#[derive(Debug, Clone, Default)]
pub struct Frontier {
    size: u64,
    /// Perfect subtree hashes by level, largest first.
    stack: Vec<(u8, Hash)>,
}

impl Frontier {
    /// Appends one leaf's hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0u8, leaf);
        while let Some(&(level, left)) = self.stack.last() {
            if level != node.0 {
                break;
            }
            self.stack.pop();
            node = (level + 1, node_hash(&left, &node.1));
        }
        self.stack.push(node);
        self.size += 1;
    }

    /// How many leaves were pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree of every leaf pushed so far.
    pub fn root(&self) -> Hash {
        let hashes: Vec<Hash> = self.stack.iter().map(|(_, h)| *h).collect();
        root_from_frontier(&hashes)
    }
}

/// Why a proof cannot be made or does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProofError {
    #[error("leaf {index} is not in a tree of {size} entries")]
    IndexOutOfRange { index: u64, size: u64 },
    #[error("a consistency proof needs 0 < first ({first}) <= second ({second})")]
    BadSizes { first: u64, second: u64 },
    #[error("the stored tree lacks the hash of {0:?}")]
    MissingNode(Perfect),
    #[error("the proof does not hold")]
    Invalid,
}

/// What a proof of a tree of a given size needs: the perfect subtrees to
/// read, and how to build each of the proof's hashes from them.
#[derive(Debug, Clone)]
pub struct ProofPlan {
    /// `[start, end)` leaf ranges, one per hash of the proof, in order.
    ranges: Vec<(u64, u64)>,
}

impl ProofPlan {
    /// The perfect subtrees whose hashes build this proof.
    pub fn needs(&self) -> Vec<Perfect> {
        let mut out = Vec::new();
        for &(start, end) in &self.ranges {
            decompose(start, end, &mut out);
        }
        out.sort_unstable();
        out.dedup();
        out
    }

    /// The proof's hashes, from the hashes of [`ProofPlan::needs`].
    pub fn build(&self, nodes: &HashMap<Perfect, Hash>) -> Result<Vec<Hash>, ProofError> {
        self.ranges
            .iter()
            .map(|&(start, end)| subtree_hash(start, end, nodes))
            .collect()
    }
}

/// The plan of the inclusion proof (audit path) of leaf `index` in the tree of
/// `size` leaves.
pub fn inclusion_plan(size: u64, index: u64) -> Result<ProofPlan, ProofError> {
    if index >= size || index > u64::MAX / 2 {
        return Err(ProofError::IndexOutOfRange { index, size });
    }
    let ranges = ct_merkle::indices_for_inclusion_proof(size, index)
        .into_iter()
        .map(|node| node_range(node, size))
        .collect();
    Ok(ProofPlan { ranges })
}

/// The plan of the consistency proof between the trees of `first` and
/// `second` leaves.
pub fn consistency_plan(first: u64, second: u64) -> Result<ProofPlan, ProofError> {
    if first == 0 || first > second || second > u64::MAX / 2 {
        return Err(ProofError::BadSizes { first, second });
    }
    let ranges = ct_merkle::indices_for_consistency_proof(first, second - first)
        .into_iter()
        .map(|node| node_range(node, second))
        .collect();
    Ok(ProofPlan { ranges })
}

/// Checks that `entry` is leaf `index` of the tree of `size` leaves whose root
/// is `root`.
pub fn verify_inclusion(
    root: &Hash,
    size: u64,
    index: u64,
    entry: &[u8],
    proof: &[Hash],
) -> Result<(), ProofError> {
    let root = RootHash::<Sha256>::new((*root).into(), size);
    let proof = InclusionProof::<Sha256>::from_digests(proof.iter().map(|h| h.into()));
    root.verify_inclusion(&entry, index, &proof)
        .map_err(|_| ProofError::Invalid)
}

/// Checks that the tree of `first` leaves with root `first_root` is a prefix
/// of the tree of `second` leaves with root `second_root`.
pub fn verify_consistency(
    first: u64,
    first_root: &Hash,
    second: u64,
    second_root: &Hash,
    proof: &[Hash],
) -> Result<(), ProofError> {
    if first == second {
        // Nothing was added: the same tree, and an empty proof.
        return if first_root == second_root && proof.is_empty() {
            Ok(())
        } else {
            Err(ProofError::Invalid)
        };
    }
    let old = RootHash::<Sha256>::new((*first_root).into(), first);
    let new = RootHash::<Sha256>::new((*second_root).into(), second);
    let proof = ConsistencyProof::<Sha256>::from_digests(proof.iter().map(|h| h.into()));
    new.verify_consistency(&old, &proof)
        .map_err(|_| ProofError::Invalid)
}

/// The leaves under `ct-merkle`'s node `node` (its in-order index) in a tree of
/// `size` leaves: a node at level `l` spans `2^l` leaves, cut at the tree's
/// right edge.
fn node_range(node: u64, size: u64) -> (u64, u64) {
    let level = node.trailing_ones();
    let start = (node >> (level + 1)) << level;
    let end = start.saturating_add(1u64 << level).min(size);
    (start, end)
}

/// The hash of leaves `[start, end)` as RFC 6962 splits them: the largest
/// power of two on the left.
fn subtree_hash(start: u64, end: u64, nodes: &HashMap<Perfect, Hash>) -> Result<Hash, ProofError> {
    let n = end - start;
    if n.is_power_of_two() && start.is_multiple_of(n) {
        let perfect = Perfect {
            level: u8::try_from(n.trailing_zeros()).unwrap_or(u8::MAX),
            index: start >> n.trailing_zeros(),
        };
        return nodes
            .get(&perfect)
            .copied()
            .ok_or(ProofError::MissingNode(perfect));
    }
    let k = split(n);
    let left = subtree_hash(start, start + k, nodes)?;
    let right = subtree_hash(start + k, end, nodes)?;
    Ok(node_hash(&left, &right))
}

/// The perfect subtrees that [`subtree_hash`] reads for `[start, end)`.
fn decompose(start: u64, end: u64, out: &mut Vec<Perfect>) {
    let n = end - start;
    if n == 0 {
        return;
    }
    if n.is_power_of_two() && start.is_multiple_of(n) {
        out.push(Perfect {
            level: u8::try_from(n.trailing_zeros()).unwrap_or(u8::MAX),
            index: start >> n.trailing_zeros(),
        });
        return;
    }
    let k = split(n);
    decompose(start, start + k, out);
    decompose(start + k, end, out);
}

/// The largest power of two below `n` (n > 1).
fn split(n: u64) -> u64 {
    1u64 << (63 - (n - 1).leading_zeros())
}

#[cfg(test)]
mod tests {
    use ct_merkle::mem_backed_tree::MemoryBackedTree;

    use super::*;

    /// A tree of `size` leaves kept the way the store keeps it: every perfect
    /// subtree's hash.
    fn stored(leaves: &[Vec<u8>]) -> HashMap<Perfect, Hash> {
        let mut nodes = HashMap::new();
        for (i, leaf) in leaves.iter().enumerate() {
            let i = i as u64;
            nodes.insert(Perfect { level: 0, index: i }, leaf_hash(leaf));
            for (parent, left, right) in completed_by(i) {
                let h = node_hash(&nodes[&left], &nodes[&right]);
                nodes.insert(parent, h);
            }
        }
        nodes
    }

    fn leaves(n: usize) -> Vec<Vec<u8>> {
        (0..n).map(|i| format!("entry {i}").into_bytes()).collect()
    }

    fn root_of(nodes: &HashMap<Perfect, Hash>, size: u64) -> Hash {
        let hashes: Vec<Hash> = frontier(size).iter().map(|p| nodes[p]).collect();
        root_from_frontier(&hashes)
    }

    /// The RFC 6962 reference roots (Certificate Transparency's test data)
    /// of the first 1..=8 of its eight test leaves.
    #[test]
    fn roots_match_the_certificate_transparency_test_data() {
        let inputs: [&[u8]; 8] = [
            b"",
            b"\x00",
            b"\x10",
            b"\x20\x21",
            b"\x30\x31",
            b"\x40\x41\x42\x43",
            b"\x50\x51\x52\x53\x54\x55\x56\x57",
            b"\x60\x61\x62\x63\x64\x65\x66\x67\x68\x69\x6a\x6b\x6c\x6d\x6e\x6f",
        ];
        let expected = [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
            "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
            "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
            "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
            "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
        ];
        let all: Vec<Vec<u8>> = inputs.iter().map(|i| i.to_vec()).collect();
        let nodes = stored(&all);
        let mut frontier = Frontier::default();
        for (n, want) in expected.iter().enumerate() {
            frontier.push(leaf_hash(&all[n]));
            assert_eq!(
                hex::encode(root_of(&nodes, n as u64 + 1)),
                *want,
                "size {}",
                n + 1
            );
            assert_eq!(
                hex::encode(frontier.root()),
                *want,
                "frontier, size {}",
                n + 1
            );
        }
        assert_eq!(
            hex::encode(empty_root()),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }

    #[test]
    fn proofs_from_stored_subtrees_equal_those_of_the_whole_tree_and_verify() {
        let all = leaves(70);
        let nodes = stored(&all);
        for size in 1..=all.len() as u64 {
            let mut tree = MemoryBackedTree::<Sha256, Vec<u8>>::new();
            for leaf in &all[..size as usize] {
                tree.push(leaf.clone());
            }
            let root = root_of(&nodes, size);
            assert_eq!(
                root.as_slice(),
                tree.root().as_bytes().as_slice(),
                "root {size}"
            );
            for index in 0..size {
                let plan = inclusion_plan(size, index).expect("plan");
                let proof = plan.build(&nodes).expect("proof");
                let whole = tree.prove_inclusion(index as usize);
                assert_eq!(
                    proof.concat(),
                    whole.as_bytes(),
                    "inclusion {index} of {size}"
                );
                verify_inclusion(&root, size, index, &all[index as usize], &proof)
                    .expect("verifies");
                assert_eq!(
                    verify_inclusion(&root, size, index, b"another entry", &proof),
                    Err(ProofError::Invalid)
                );
            }
            for first in 1..=size {
                let plan = consistency_plan(first, size).expect("plan");
                let proof = plan.build(&nodes).expect("proof");
                let first_root = root_of(&nodes, first);
                verify_consistency(first, &first_root, size, &root, &proof)
                    .unwrap_or_else(|e| panic!("consistency {first}..{size}: {e}"));
                if first < size {
                    let whole = tree.prove_consistency((size - first) as usize);
                    // ct-merkle proves from the current tree back; compare by verifying.
                    let theirs: Vec<Hash> = whole
                        .as_bytes()
                        .chunks(32)
                        .map(|c| c.try_into().expect("32 bytes"))
                        .collect();
                    assert_eq!(proof, theirs, "consistency {first}..{size}");
                    let mut wrong = first_root;
                    wrong[0] ^= 1;
                    assert!(verify_consistency(first, &wrong, size, &root, &proof).is_err());
                }
            }
        }
    }

    #[test]
    fn out_of_range_requests_are_refused_not_panicking() {
        assert!(matches!(
            inclusion_plan(3, 3),
            Err(ProofError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            inclusion_plan(0, 0),
            Err(ProofError::IndexOutOfRange { .. })
        ));
        assert!(matches!(
            consistency_plan(0, 3),
            Err(ProofError::BadSizes { .. })
        ));
        assert!(matches!(
            consistency_plan(4, 3),
            Err(ProofError::BadSizes { .. })
        ));
        assert!(matches!(
            consistency_plan(1, u64::MAX),
            Err(ProofError::BadSizes { .. })
        ));
        let proof = vec![[0u8; 32]; 3];
        assert!(verify_inclusion(&[0; 32], 0, 0, b"x", &proof).is_err());
        assert!(verify_consistency(5, &[0; 32], 3, &[0; 32], &proof).is_err());
    }

    #[test]
    fn frontiers_decompose_sizes_into_powers_of_two() {
        assert_eq!(frontier(0), vec![]);
        assert_eq!(
            frontier(6),
            vec![
                Perfect { level: 2, index: 0 },
                Perfect { level: 1, index: 2 }
            ]
        );
        assert_eq!(completed_by(3).len(), 2);
        assert_eq!(completed_by(4).len(), 0);
    }
}
