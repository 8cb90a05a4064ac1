// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// @title IRecognitionBadge
/// @notice A soulbound (ERC-5192) badge that stands for one recognition entry of a
///         Kakawari log: it carries the region and the entry's leaf hash, so anyone can
///         check it against the log with an inclusion proof.
interface IRecognitionBadge {
    /// @notice Badges are soulbound: they can't be transferred or approved.
    error Soulbound();
    /// @notice A region id is 1-32 characters of a-z, 0-9 and '-', not starting or
    ///         ending with '-'.
    /// @dev No argument on purpose: web3.py's eth-tester provider decodes the data of an
    ///      error whose only argument is a string as a revert string, losing its name.
    error InvalidRegion();
    /// @notice A badge already stands for this recognition entry.
    error AlreadyMinted(bytes32 leafHash, uint256 tokenId);
    /// @notice The zero hash is not the leaf hash of any entry.
    error ZeroLeafHash();

    /// @notice Badge `tokenId` was minted to `to` for the recognition entry with
    ///         `leafHash` in the log of `region`.
    event BadgeMinted(uint256 indexed tokenId, address indexed to, string region, bytes32 leafHash);
    /// @notice Badge `tokenId` was burnt because its recognition was revoked.
    event BadgeRevoked(uint256 indexed tokenId);

    /// @notice Mints a locked badge to `to` for a recognition entry. Only accounts with
    ///         the minter role may call this; one badge per leaf hash.
    /// @param to The member who receives the badge.
    /// @param region The region id (the log's origin is `kakawari/<region>`).
    /// @param leafHash SHA-256(0x00 || entry bytes) of the recognition entry.
    /// @return tokenId The new badge's id (sequential, from 1).
    function mint(address to, string calldata region, bytes32 leafHash)
        external
        returns (uint256 tokenId);

    /// @notice Burns a badge whose recognition was revoked by a later log entry. Only
    ///         accounts with the minter role may call this.
    /// @param tokenId The badge to burn.
    function revoke(uint256 tokenId) external;

    /// @notice The region of a badge; reverts for a token that does not exist.
    /// @param tokenId The badge.
    /// @return The region id.
    function regionOf(uint256 tokenId) external view returns (string memory);

    /// @notice The leaf hash of the recognition entry a badge stands for; reverts for a
    ///         token that does not exist.
    /// @param tokenId The badge.
    /// @return The entry's leaf hash.
    function leafHashOf(uint256 tokenId) external view returns (bytes32);

    /// @notice The badge minted for a leaf hash; 0 if there is none.
    /// @param leafHash The recognition entry's leaf hash.
    /// @return The badge's id, or 0.
    function tokenOfLeaf(bytes32 leafHash) external view returns (uint256);
}
