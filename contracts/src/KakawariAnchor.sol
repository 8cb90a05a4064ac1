// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IKakawariAnchor} from "./IKakawariAnchor.sol";
import {RFC9162} from "./RFC9162.sol";

/// @title KakawariAnchor
/// @notice Keeps every anchored (size, root) of each Kakawari log and refuses any root
///         that is not proven, on chain, to extend the latest one.
/// @dev One storage slot holds a log's owner and latest size; the latest root is
///      `roots[latestSize]`, so an anchor writes one new slot and updates one.
contract KakawariAnchor is IKakawariAnchor {
    struct Log {
        address owner;
        uint64 latestSize;
        mapping(address account => bool) anchorers;
        mapping(uint64 size => bytes32) roots;
    }

    mapping(bytes32 logId => Log) private _logs;

    /// @inheritdoc IKakawariAnchor
    function registerLog(bytes32 logId, address anchorer) external {
        Log storage log = _logs[logId];
        if (log.owner != address(0)) revert LogAlreadyRegistered(logId, log.owner);
        if (anchorer == address(0)) revert ZeroAnchorer();
        log.owner = msg.sender;
        log.anchorers[anchorer] = true;
        emit LogRegistered(logId, msg.sender);
        emit AnchorerAdded(logId, anchorer);
    }

    /// @inheritdoc IKakawariAnchor
    function addAnchorer(bytes32 logId, address anchorer) external {
        Log storage log = _ownedLog(logId);
        if (anchorer == address(0)) revert ZeroAnchorer();
        if (log.anchorers[anchorer]) revert AlreadyAnchorer(logId, anchorer);
        log.anchorers[anchorer] = true;
        emit AnchorerAdded(logId, anchorer);
    }

    /// @inheritdoc IKakawariAnchor
    function removeAnchorer(bytes32 logId, address anchorer) external {
        Log storage log = _ownedLog(logId);
        if (!log.anchorers[anchorer]) revert NotAnchorer(logId, anchorer);
        log.anchorers[anchorer] = false;
        emit AnchorerRemoved(logId, anchorer);
    }

    /// @inheritdoc IKakawariAnchor
    function anchor(bytes32 logId, uint64 size, bytes32 root, bytes32[] calldata proof) external {
        Log storage log = _logs[logId];
        if (log.owner == address(0)) revert LogNotRegistered(logId);
        if (!log.anchorers[msg.sender]) revert NotAnchorer(logId, msg.sender);
        uint64 latestSize = log.latestSize;
        if (size <= latestSize) revert SizeNotIncreasing(logId, latestSize, size);
        if (root == bytes32(0)) revert ZeroRoot(logId);
        if (latestSize == 0) {
            if (proof.length != 0) revert MalformedProof(logId, latestSize, size);
        } else {
            bytes32 latestRoot = log.roots[latestSize];
            (bool wellFormed, bytes32 fr, bytes32 sr) =
                RFC9162.consistencyRoots(latestSize, size, latestRoot, proof);
            if (!wellFormed) revert MalformedProof(logId, latestSize, size);
            if (fr != latestRoot || sr != root) revert InconsistentRoot(logId, size, root);
        }
        log.latestSize = size;
        log.roots[size] = root;
        emit Anchored(logId, size, root);
    }

    /// @inheritdoc IKakawariAnchor
    function latest(bytes32 logId) external view returns (uint64 size, bytes32 root) {
        Log storage log = _logs[logId];
        size = log.latestSize;
        root = log.roots[size];
    }

    /// @inheritdoc IKakawariAnchor
    function rootAt(bytes32 logId, uint64 size) external view returns (bytes32) {
        return _logs[logId].roots[size];
    }

    /// @inheritdoc IKakawariAnchor
    function verifyInclusion(
        bytes32 logId,
        uint64 size,
        uint64 index,
        bytes32 leafHash,
        bytes32[] calldata proof
    ) external view returns (bool) {
        bytes32 anchored = _logs[logId].roots[size];
        if (anchored == bytes32(0)) return false;
        (bool wellFormed, bytes32 root) = RFC9162.inclusionRoot(index, size, leafHash, proof);
        return wellFormed && root == anchored;
    }

    /// @inheritdoc IKakawariAnchor
    function logOwner(bytes32 logId) external view returns (address) {
        return _logs[logId].owner;
    }

    /// @inheritdoc IKakawariAnchor
    function isAnchorer(bytes32 logId, address account) external view returns (bool) {
        return _logs[logId].anchorers[account];
    }

    /// @dev The log, if it is registered and the sender owns it.
    function _ownedLog(bytes32 logId) private view returns (Log storage log) {
        log = _logs[logId];
        if (log.owner == address(0)) revert LogNotRegistered(logId);
        if (log.owner != msg.sender) revert NotLogOwner(logId, msg.sender);
    }
}
