// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Base64} from "@openzeppelin/contracts/utils/Base64.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {IERC5192} from "./IERC5192.sol";
import {IRecognitionBadge} from "./IRecognitionBadge.sol";

/// @title RecognitionBadge
/// @notice Soulbound ERC-721 (ERC-5192: every token is locked) standing for Kakawari
///         recognition entries. Minted by the minter role; never transferred or approved.
contract RecognitionBadge is ERC721, AccessControl, IERC5192, IRecognitionBadge {
    /// @notice The role allowed to mint and revoke badges.
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    struct Badge {
        bytes32 leafHash;
        string region;
    }

    uint256 private _lastTokenId;
    mapping(uint256 tokenId => Badge) private _badges;
    mapping(bytes32 leafHash => uint256) private _tokenOfLeaf;

    /// @notice Deploys the badge contract.
    /// @param admin Holds the admin role (grants and revokes the minter role).
    /// @param minter Holds the minter role.
    constructor(address admin, address minter) ERC721("Kakawari Recognition", "KKWR") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, minter);
    }

    /// @inheritdoc IRecognitionBadge
    function mint(address to, string calldata region, bytes32 leafHash)
        external
        onlyRole(MINTER_ROLE)
        returns (uint256 tokenId)
    {
        if (!_validRegion(bytes(region))) revert InvalidRegion();
        if (leafHash == bytes32(0)) revert ZeroLeafHash();
        uint256 existing = _tokenOfLeaf[leafHash];
        if (existing != 0) revert AlreadyMinted(leafHash, existing);
        tokenId = ++_lastTokenId;
        _badges[tokenId] = Badge(leafHash, region);
        _tokenOfLeaf[leafHash] = tokenId;
        _safeMint(to, tokenId);
        emit Locked(tokenId);
        emit BadgeMinted(tokenId, to, region, leafHash);
    }

    /// @inheritdoc IRecognitionBadge
    function revoke(uint256 tokenId) external onlyRole(MINTER_ROLE) {
        _burn(tokenId);
        delete _tokenOfLeaf[_badges[tokenId].leafHash];
        delete _badges[tokenId];
        emit BadgeRevoked(tokenId);
    }

    /// @inheritdoc IERC5192
    function locked(uint256 tokenId) external view returns (bool) {
        _requireOwned(tokenId);
        return true;
    }

    /// @inheritdoc IRecognitionBadge
    function regionOf(uint256 tokenId) external view returns (string memory) {
        _requireOwned(tokenId);
        return _badges[tokenId].region;
    }

    /// @inheritdoc IRecognitionBadge
    function leafHashOf(uint256 tokenId) external view returns (bytes32) {
        _requireOwned(tokenId);
        return _badges[tokenId].leafHash;
    }

    /// @inheritdoc IRecognitionBadge
    function tokenOfLeaf(bytes32 leafHash) external view returns (uint256) {
        return _tokenOfLeaf[leafHash];
    }

    /// @notice Token metadata as an on-chain JSON data URI: name, description, the log
    ///         origin and the entry's leaf hash.
    /// @param tokenId The badge.
    /// @return A `data:application/json;base64,` URI.
    function tokenURI(uint256 tokenId) public view override returns (string memory) {
        _requireOwned(tokenId);
        Badge storage badge = _badges[tokenId];
        string memory id = Strings.toString(tokenId);
        string memory leaf = Strings.toHexString(uint256(badge.leafHash), 32);
        bytes memory json = abi.encodePacked(
            '{"name":"Kakawari recognition #', id,
            '","description":"A contribution to ', badge.region,
            ' recognised in the Kakawari log kakawari/', badge.region,
            '. Soulbound: it can not be transferred.","attributes":[',
            '{"trait_type":"region","value":"', badge.region, '"},',
            '{"trait_type":"origin","value":"kakawari/', badge.region, '"},',
            '{"trait_type":"leafHash","value":"', leaf, '"}]}'
        );
        return string.concat("data:application/json;base64,", Base64.encode(json));
    }

    /// @notice Always reverts: badges are soulbound.
    function approve(address, uint256) public pure override {
        revert Soulbound();
    }

    /// @notice Always reverts: badges are soulbound.
    function setApprovalForAll(address, bool) public pure override {
        revert Soulbound();
    }

    /// @notice ERC-165: ERC-721, ERC-721 metadata, ERC-5192, AccessControl and ERC-165.
    /// @param interfaceId The interface identifier.
    /// @return True if the contract implements the interface.
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721, AccessControl)
        returns (bool)
    {
        return interfaceId == type(IERC5192).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Mints and burns pass; every transfer reverts.
    function _update(address to, uint256 tokenId, address auth)
        internal
        override
        returns (address)
    {
        address from = _ownerOf(tokenId);
        if (from != address(0) && to != address(0)) revert Soulbound();
        return super._update(to, tokenId, auth);
    }

    /// @dev 1-32 bytes of a-z, 0-9 and '-', no '-' at either end (ledger/entry.py).
    function _validRegion(bytes calldata region) private pure returns (bool) {
        uint256 n = region.length;
        if (n == 0 || n > 32 || region[0] == "-" || region[n - 1] == "-") return false;
        for (uint256 i; i < n; ++i) {
            bytes1 c = region[i];
            if (!((c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "-")) return false;
        }
        return true;
    }
}
