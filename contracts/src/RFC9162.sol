// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title RFC9162
/// @notice Merkle tree proof verification of RFC 9162 §2.1 (the tree of RFC 6962):
///         SHA-256, node hash SHA-256(0x01 || left || right), 0-based leaf indices.
/// @dev Hashing goes through the SHA-256 precompile (address 0x02). The functions
///      follow the RFC's verification algorithms step by step and report a proof of the
///      wrong shape separately from one that leads to another root.
library RFC9162 {
    /// @notice The SHA-256 precompile failed (out of gas).
    error Sha256Failed();

    /// @notice SHA-256(0x01 || left || right), an interior node (RFC 9162 §2.1.1).
    function nodeHash(bytes32 left, bytes32 right) internal view returns (bytes32 h) {
        bool ok;
        assembly ("memory-safe") {
            // Scratch space past the free memory pointer; it is not allocated.
            let ptr := mload(0x40)
            mstore8(ptr, 0x01)
            mstore(add(ptr, 1), left)
            mstore(add(ptr, 33), right)
            ok := staticcall(gas(), 0x02, ptr, 65, 0x00, 0x20)
            h := mload(0x00)
        }
        if (!ok) revert Sha256Failed();
    }

    /// @notice Runs RFC 9162 §2.1.4.2 on a consistency proof from `first` to `second`
    ///         leaves, for 0 < first < second.
    /// @return wellFormed False if the proof has the wrong shape for the two sizes.
    /// @return fr The first tree's root the proof leads to (compare with firstHash).
    /// @return sr The second tree's root the proof leads to.
    function consistencyRoots(
        uint64 first,
        uint64 second,
        bytes32 firstHash,
        bytes32[] calldata proof
    ) internal view returns (bool wellFormed, bytes32 fr, bytes32 sr) {
        // 1. An empty consistency_path fails.
        if (proof.length == 0) return (false, 0, 0);
        // 2. If first is an exact power of 2, firstHash is the path's (implicit) head.
        uint256 i;
        if (first & (first - 1) == 0) {
            fr = firstHash;
        } else {
            fr = proof[0];
            i = 1;
        }
        sr = fr;
        // 3.-4. fn = first - 1, sn = second - 1; shift while LSB(fn) is set.
        uint64 fn = first - 1;
        uint64 sn = second - 1;
        while (fn & 1 == 1) {
            fn >>= 1;
            sn >>= 1;
        }
        // 6. For each subsequent c in the path:
        for (; i < proof.length; ++i) {
            if (sn == 0) return (false, 0, 0);
            bytes32 c = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                fr = nodeHash(c, fr);
                sr = nodeHash(c, sr);
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                sr = nodeHash(sr, c);
            }
            fn >>= 1;
            sn >>= 1;
        }
        // 7. sn must be 0 (the caller compares fr and sr).
        wellFormed = sn == 0;
    }

    /// @notice Runs RFC 9162 §2.1.3.2 on an inclusion proof of leaf `index` in a tree
    ///         of `size` leaves.
    /// @return wellFormed False if index >= size or the proof has the wrong length.
    /// @return root The root the proof leads to (compare with the tree's root).
    function inclusionRoot(
        uint64 index,
        uint64 size,
        bytes32 leaf,
        bytes32[] calldata proof
    ) internal view returns (bool wellFormed, bytes32 root) {
        // 1. leaf_index >= tree_size fails.
        if (index >= size) return (false, 0);
        // 2.-3. fn = leaf_index, sn = tree_size - 1, r = hash.
        uint64 fn = index;
        uint64 sn = size - 1;
        root = leaf;
        // 4. For each p in the path:
        for (uint256 i; i < proof.length; ++i) {
            if (sn == 0) return (false, 0);
            bytes32 p = proof[i];
            if (fn & 1 == 1 || fn == sn) {
                root = nodeHash(p, root);
                while (fn & 1 == 0 && fn != 0) {
                    fn >>= 1;
                    sn >>= 1;
                }
            } else {
                root = nodeHash(root, p);
            }
            fn >>= 1;
            sn >>= 1;
        }
        // 5. sn must be 0 (the caller compares root).
        wellFormed = sn == 0;
    }
}
