"""Sharing a case (or chosen footage of it) with people outside the agency: 律师, 法院, 复议机关, 上级机关.

A share names its recipient, their organisation, the purpose, what they may do (view, or also download) and
when it ends; the agency may revoke it at any time. The recipient opens `/shared/{token}` without an account:
the token (128 random bits and more) is shown once and kept only as its SHA-256, and an optional access code
(sent separately) is kept only as an HMAC under a key derived from the service's signing key. Every view,
play and download is audited under the share, and the recipient may download a receipt (共享清单) signed
with the key that signs case files (`recording-service verify-receipt`).

May import: `core`, `audit`, `cases` (its service), `media` (its service, delivery and playback), `export`
(the signing key), `agencies`, `catalog`.
"""
