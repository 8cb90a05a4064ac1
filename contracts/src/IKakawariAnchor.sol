// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IKakawariAnchor
/// @notice Anchors the signed checkpoints of Kakawari logs on chain. Every anchored
///         (size, root) of a log is kept, and each new root must be proven, on chain, to
///         extend the previous one (RFC 9162 §2.1.4 consistency proof, SHA-256 hashes).
/// @dev A log is identified by `logId = keccak256(bytes(origin))`, where the origin is
///      `kakawari/<region>`. Tree sizes are uint64, as in RFC 9162 §4.
interface IKakawariAnchor {
    /// @notice The log is already registered; `owner` registered it first.
    error LogAlreadyRegistered(bytes32 logId, address owner);
    /// @notice Nobody has registered this log.
    error LogNotRegistered(bytes32 logId);
    /// @notice Only the log's owner may manage its anchorers.
    error NotLogOwner(bytes32 logId, address sender);
    /// @notice `account` is not an anchorer of the log (as sender of an anchor, or as the
    ///         anchorer to remove).
    error NotAnchorer(bytes32 logId, address account);
    /// @notice `anchorer` is already an anchorer of the log.
    error AlreadyAnchorer(bytes32 logId, address anchorer);
    /// @notice The zero address can't be an anchorer.
    error ZeroAnchorer();
    /// @notice A zero root is never a SHA-256 tree hash (it marks "not anchored").
    error ZeroRoot(bytes32 logId);
    /// @notice A new anchor must have a larger tree size than the latest anchored one.
    error SizeNotIncreasing(bytes32 logId, uint64 latestSize, uint64 size);
    /// @notice The consistency proof has the wrong shape for the two tree sizes (too
    ///         short, too long, or present on a log's first anchor).
    error MalformedProof(bytes32 logId, uint64 latestSize, uint64 size);
    /// @notice The proof is well formed but does not show that the latest anchored root
    ///         is a prefix of `root`.
    error InconsistentRoot(bytes32 logId, uint64 size, bytes32 root);

    /// @notice `owner` registered the log.
    event LogRegistered(bytes32 indexed logId, address indexed owner);
    /// @notice The log's owner allowed `anchorer` to anchor the log.
    event AnchorerAdded(bytes32 indexed logId, address indexed anchorer);
    /// @notice The log's owner withdrew `anchorer`'s right to anchor the log.
    event AnchorerRemoved(bytes32 indexed logId, address indexed anchorer);
    /// @notice The tree of `size` entries with `root` is now the latest anchor of the log.
    event Anchored(bytes32 indexed logId, uint64 size, bytes32 root);

    /// @notice Registers a log; the caller becomes its owner and `anchorer` its first
    ///         anchorer (the caller may name itself).
    /// @param logId keccak256 of the log's origin string.
    /// @param anchorer The first account allowed to anchor the log.
    function registerLog(bytes32 logId, address anchorer) external;

    /// @notice Allows `anchorer` to anchor the log. Only the log's owner may call this.
    /// @param logId The log.
    /// @param anchorer The account to allow.
    function addAnchorer(bytes32 logId, address anchorer) external;

    /// @notice Withdraws `anchorer`'s right to anchor the log. Only the log's owner may
    ///         call this.
    /// @param logId The log.
    /// @param anchorer The account to remove.
    function removeAnchorer(bytes32 logId, address anchorer) external;

    /// @notice Anchors the tree of `size` entries with `root`. Accepted only from an
    ///         anchorer of the log, only when `size` is larger than the latest anchored
    ///         size, and only with a valid RFC 9162 consistency proof from the latest
    ///         anchored (size, root) to (`size`, `root`). A log's first anchor takes an
    ///         empty proof.
    /// @param logId The log.
    /// @param size The number of entries in the tree.
    /// @param root The RFC 9162 root hash (MTH) of the tree.
    /// @param proof PROOF(latestSize, D[size]) of RFC 9162 §2.1.4.1.
    function anchor(bytes32 logId, uint64 size, bytes32 root, bytes32[] calldata proof) external;

    /// @notice The latest anchored tree of the log; (0, 0) if nothing is anchored.
    /// @param logId The log.
    /// @return size The number of entries of the latest anchored tree.
    /// @return root Its root hash.
    function latest(bytes32 logId) external view returns (uint64 size, bytes32 root);

    /// @notice The root anchored for the tree of `size` entries; zero if that size was
    ///         never anchored.
    /// @param logId The log.
    /// @param size A tree size.
    /// @return The root hash anchored for that size, or bytes32(0).
    function rootAt(bytes32 logId, uint64 size) external view returns (bytes32);

    /// @notice Whether `leafHash` is leaf `index` of the anchored tree of `size` entries,
    ///         checked with an RFC 9162 §2.1.3 inclusion proof. Never reverts: false when
    ///         `size` was never anchored or the proof does not verify.
    /// @param logId The log.
    /// @param size An anchored tree size.
    /// @param index The 0-based leaf index.
    /// @param leafHash SHA-256(0x00 || entry bytes).
    /// @param proof PATH(index, D[size]) of RFC 9162 §2.1.3.1.
    /// @return True if the proof leads from the leaf to the anchored root.
    function verifyInclusion(
        bytes32 logId,
        uint64 size,
        uint64 index,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) external view returns (bool);

    /// @notice The owner of the log; the zero address if it is not registered.
    /// @param logId The log.
    /// @return The account that registered the log.
    function logOwner(bytes32 logId) external view returns (address);

    /// @notice Whether `account` may anchor the log.
    /// @param logId The log.
    /// @param account The account to check.
    /// @return True if `account` is an anchorer of the log.
    function isAnchorer(bytes32 logId, address account) external view returns (bool);
}
