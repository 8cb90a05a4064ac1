"""Refusals of the recognition rules, and the words members see for them.

Every rule that refuses raises :class:`DomainError` with a stable ``code`` (clients
switch on it; the API puts it in the problem ``type``) and parameters. The text a
member reads comes from :data:`MESSAGES`, one catalogue per language, so a Japanese
catalogue can be added next to the English one without touching the rules.
"""

from __future__ import annotations

from typing import Any

#: code -> (title, detail template). Details are written for a member, not a developer:
#: what happened, in their words, and what they can do about it.
MESSAGES: dict[str, dict[str, tuple[str, str]]] = {
    "en": {
        "bad-message": ("The message is not valid", "{reason}"),
        "bad-signature": (
            "The signature does not match",
            "This message was not signed by {signer}. Sign it again with that account.",
        ),
        "wrong-region": (
            "Wrong region",
            "This message is for region '{named}', but it was sent to region '{region}'.",
        ),
        "wrong-type": (
            "Wrong kind of message",
            "This address takes a {expected} message, not a {got} message.",
        ),
        "stale": (
            "The message is too old or from the future",
            "The message was issued at {issued_at}, but the server time is {now}. Messages "
            "must be sent within {window} seconds of signing. Check your device's clock "
            "and sign again.",
        ),
        "nonce-reused": (
            "This message was already used",
            "The nonce {nonce} of {signer} has been used before. Sign a new message.",
        ),
        "too-long": (
            "A field is too long",
            "{field} may have at most {limit} {unit}; this one has {got}.",
        ),
        "out-of-range": ("A value is out of range", "{field} must be {expected}; it is {got}."),
        "empty": ("A field is empty", "{field} must not be empty."),
        "bad-reading": (
            "The reading is not in kana",
            "Write the reading of your name in hiragana or katakana (e.g. やまだ はなこ); "
            "'{reading}' has other characters.",
        ),
        "not-member": (
            "You are not a member of this region yet",
            "{who} has not joined region '{region}'. Join the region first.",
        ),
        "already-member": (
            "Already a member", "{who} has already joined region '{region}'."
        ),
        "not-admin": (
            "Only an admin can do this",
            "{who} is not an admin of region '{region}'. Ask a region admin.",
        ),
        "not-verifier": (
            "Only a verifier can review",
            "{who} is not a verifier of region '{region}'. Ask an admin for the verifier role.",
        ),
        "last-admin": (
            "The region needs an admin",
            "{who} is the last admin of region '{region}'; grant the role to someone else first.",
        ),
        "unknown-role": ("Unknown role", "The role '{role}' does not exist; use one of {roles}."),
        "unknown-category": (
            "Unknown category", "The category '{category}' is not one of {categories}."
        ),
        "unknown-claim": ("No such claim", "There is no claim {claim} in region '{region}'."),
        "unknown-quest": ("No such quest", "There is no quest {quest} in region '{region}'."),
        "quest-closed": (
            "The quest is not open",
            "Quest {quest} is open from {opens_at} to {closes_at}; the contribution is dated "
            "{occurred_at}.",
        ),
        "bad-co-contributors": ("Co-contributors are not valid", "{reason}"),
        "not-co-contributor": (
            "You are not named on this claim",
            "{who} is not a co-contributor of claim {claim}, so there is nothing to confirm.",
        ),
        "already-confirmed": (
            "Already confirmed", "{who} has already confirmed claim {claim}."
        ),
        "own-claim": (
            "You can't do this for your own contribution",
            "{who} is the contributor or a co-contributor of claim {claim}; someone else has "
            "to {action} it.",
        ),
        "already-reviewed": (
            "Already reviewed", "{who} has already reviewed claim {claim}."
        ),
        "claim-decided": (
            "The claim is no longer open",
            "Claim {claim} is {status}; it can't be {action} now.",
        ),
        "reason-required": (
            "Please give a reason", "A {action} needs a reason the member can read."
        ),
        "budget-exceeded": (
            "Not enough endorsement budget",
            "{who} has {left} of {budget} endorsement points left in this period (until "
            "{epoch_end}); this endorsement asks for {amount}.",
        ),
        "bad-policy": ("The points policy is not valid", "{reason}"),
        "policy-version": (
            "Wrong policy version",
            "The next policy version of region '{region}' is {expected}, not {got}.",
        ),
        "not-revoked": ("The claim is not revoked", "Claim {claim} is {status}, not revoked."),
        "unknown-details": (
            "No such details", "No private details are stored under {details_hash}."
        ),
        "details-mismatch": (
            "The details do not match their hash",
            "The salted hash of these details is {got}, not {details_hash}.",
        ),
        "details-erased": (
            "These details were erased", "The details {details_hash} were erased at request."
        ),
        "not-allowed": ("Not allowed", "{reason}"),
        "bad-invitation": (
            "The invitation code is not valid",
            "This invitation code is unknown, already used or expired. Ask the region admin "
            "for a new one.",
        ),
        "invitation-exists": (
            "Invitation already issued", "An invitation with this code already exists."
        ),
        "unknown-invitation": (
            "No such invitation", "Region '{region}' has no invitation with this code."
        ),
        "invitation-used": (
            "This invitation code has been used",
            "Someone has already joined with this code. If it was you, sign in with your "
            "member number and passphrase.",
        ),
        "invitation-revoked": (
            "This invitation was withdrawn",
            "The region office withdrew this invitation. Ask them for a new one.",
        ),
        "bad-recovery": (
            "The recovery code is not valid",
            "This recovery code is unknown, already used, replaced by a newer one or expired. "
            "Ask the region office for a new one.",
        ),
        "passphrase-replaced": (
            "This passphrase no longer works",
            "The region office issued you a recovery code. Enter it to choose a new "
            "passphrase; your record and points stay as they are.",
        ),
        "bad-email": (
            "This e-mail address does not look right",
            "Please check the address (it looks like name@example.jp).",
        ),
        "weak-passphrase": (
            "The passphrase is too short",
            "Choose a passphrase of at least {min} characters (a few words work well).",
        ),
        "bad-login": (
            "Sign-in failed", "The account or passphrase is not right. Please try again."
        ),
        "not-managed": (
            "The service does not hold this key",
            "{who} signs with their own wallet; the service can't sign for them.",
        ),
        "no-service-key": (
            "The service can't sign right now",
            "The region's service key is not available on this server; tell the operator.",
        ),
        "no-chain": (
            "No chain configured", "This server has no chain to mint badges on."
        ),
        "not-approved": (
            "The claim is not approved", "Claim {claim} is {status}; only approved claims "
            "earn a badge.",
        ),
        "badge-exists": (
            "Badge already minted", "{who} already holds the badge for claim {claim}."
        ),
        "chain-refused": (
            "The chain did not mint the badge", "Nothing was recorded; try again later. ({reason})"
        ),
        "busy": (
            "The service is busy", "Too many requests at once; please try again in a moment."
        ),
        "quest-not-open": (
            "The quest is not taking part now",
            "Quest {quest} is {status}: it takes no sign-ups or answers now.",
        ),
        "quest-full": (
            "The quest is full",
            "Quest {quest} has room for {capacity} people, and all places are taken.",
        ),
        "already-signed-up": ("Already signed up", "{who} has already signed up for quest {quest}."),
        "not-signed-up": (
            "Not signed up", "{who} has not signed up for quest {quest}, so there is nothing "
            "to cancel.",
        ),
        "quest-decided": (
            "The quest is no longer waiting for a decision",
            "Quest {quest} is {status}; only a proposed quest can be published or declined.",
        ),
        "own-quest": (
            "You can't decide on your own proposal",
            "{who} proposed quest {quest}; another admin or verifier has to publish it.",
        ),
        "not-organiser": (
            "Only the organiser can do this",
            "{who} is not the organiser of quest {quest} (its author, contact person or an "
            "admin).",
        ),
        "checkin-expired": (
            "The check-in code has expired",
            "This code is no longer valid (codes change every {step} seconds). Scan the code "
            "on the organiser's screen again.",
        ),
        "checkin-closed": (
            "Check-in is not open",
            "Check-in for quest {quest} is not open now. Ask the organiser to open it.",
        ),
        "unknown-perk": ("No such perk", "There is no perk {perk} in region '{region}'."),
        "perk-expired": (
            "The perk is no longer offered", "Perk {perk} could be redeemed until {valid_until}."
        ),
        "perk-out-of-stock": (
            "The perk is out of stock", "All {stock} of perk {perk} have been redeemed."
        ),
        "perk-changed": (
            "The perk's cost has changed",
            "Perk {perk} now costs {cost} points, not {got}. Look at it again before redeeming.",
        ),
        "balance-too-low": (
            "Not enough points to spend",
            "{who} has {balance} points to spend; this perk costs {cost}. Lifetime points and "
            "levels are not affected by redeeming.",
        ),
        "unknown-redemption": (
            "No such redemption", "There is no redemption {redemption} in region '{region}'."
        ),
        "redemption-decided": (
            "The redemption is already settled",
            "Redemption {redemption} is {status}; it can't be changed now.",
        ),
        # -- proposals and votes (service/domain/governance.py) ---------------------------
        "level-too-low": (
            "Your level is not high enough yet",
            "To make a proposal you need level {needed}; {who} is at level {level}. Keep "
            "taking part in the region and it will come.",
        ),
        "bad-proposal": ("The proposal is not valid", "{reason}"),
        "unknown-proposal": (
            "No such proposal", "There is no proposal {proposal} in region '{region}'."
        ),
        "voting-not-open": (
            "Voting has not started yet",
            "Voting on this proposal opens at {opens_at}; it is now {now}. Please come back then.",
        ),
        "voting-closed": (
            "Voting has ended",
            "Voting on this proposal closed at {closes_at}; votes are no longer accepted.",
        ),
        "proposal-ended": (
            "The proposal is no longer open", "Proposal {proposal} is {status}."
        ),
        "not-eligible": ("You can't vote on this proposal", "{reason}"),
        "bad-ballot": ("The ballot does not fit this vote", "{reason}"),
        "not-proposer": (
            "Only the proposer can withdraw it",
            "{who} did not make proposal {proposal}; its proposer can withdraw it, or an admin "
            "can cancel it.",
        ),
        "proposal-has-votes": (
            "People have voted already",
            "Proposal {proposal} has {votes} votes; it can't be withdrawn now. An admin can "
            "cancel it with a reason.",
        ),
        "details-taken": (
            "These details belong to another claim",
            "Someone else's claim already names the details {details_hash}. Attach your own "
            "details (they get a fresh salt and so a hash of their own).",
        ),
        "details-not-yours": (
            "Store your details first",
            "A claim may only name private details its contributor stored: store them "
            "(PUT .../details/{details_hash}) signed in as {who}, then claim.",
        ),
        "not-image": (
            "Only photos can be attached",
            "{name} is not a photo (JPEG, PNG, GIF, WebP, HEIC or AVIF){got}.",
        ),
        "quota-exceeded": ("Storage limit reached", "{reason}"),
        "bad-receipt": (
            "The record from the partner region does not verify",
            "The record of {partner} was refused: {reason}. It may have been altered; "
            "nothing was shown. Ask {partner} for a new record and try again.",
        ),
        "record-not-consented": (
            "The member has not agreed to show this record",
            "{partner}'s record of {member} may be shown here only with her consent in both "
            "regions: sign 'show my record' in {partner} and here, then try again.",
        ),
        "not-cosigned": (
            "The partner's log is not witnessed yet",
            "No checkpoint of {partner}'s log covering this record is cosigned by {witness} "
            "yet. Witnessing takes a few seconds; try again in a minute.",
        ),
        "no-record": (
            "No record from that partner",
            "{who} shows no record of {partner} here.",
        ),
        "bad-character": (
            "Text with a character that can't be stored",
            "{field} contains the NUL character (U+0000); remove it and try again.",
        ),
        "rate-limited": (
            "Too many attempts",
            "Too many attempts in a short time; for your safety, wait {retry_after} seconds "
            "and try again.",
        ),
        "unavailable": (
            "The service can't record anything right now",
            "The server's storage is not available ({reason}); nothing was recorded. Please "
            "try again in a few minutes; the operator has been told.",
        ),
        "outcome-unknown": (
            "Not known whether this was recorded",
            "The connection to the database was lost while writing. Send the same signed "
            "message again: if it was recorded you get its entry, and it is never recorded "
            "twice.",
        ),
    },
    "ja": {
        "bad-message": ("メッセージの形式が正しくありません", "{reason}"),
        "bad-signature": ("署名が一致しません",
                          "このメッセージは {signer} の署名ではありません。そのアカウントでもう一度署名してください。"),
        "wrong-region": ("地域が違います",
                         "このメッセージは地域「{named}」宛てですが、地域「{region}」に送られました。"),
        "wrong-type": ("メッセージの種類が違います",
                       "ここでは {expected} を受け付けます（{got} ではありません）。"),
        "stale": ("メッセージの時刻が古いか、未来の時刻です",
                  "署名時刻は {issued_at}、サーバーの時刻は {now} です。署名から {window} 秒以内に送って"
                  "ください。端末の時計を確かめて、もう一度署名してください。"),
        "nonce-reused": ("このメッセージはすでに使われています",
                         "{signer} のナンス {nonce} は使用済みです。新しく署名してください。"),
        "too-long": ("入力が長すぎます", "{field} は {limit} 文字までです（いまは {got} 文字）。"),
        "out-of-range": ("値が範囲外です", "{field} は {expected} にしてください（いまは {got}）。"),
        "empty": ("入力が空です", "{field} を入力してください。"),
        "bad-reading": ("ふりがなは、ひらがなかカタカナで書いてください",
                        "「{reading}」にはかな以外の文字があります（例：やまだ はなこ）。"),
        "not-member": ("まだこの地域のメンバーではありません",
                       "{who} は地域「{region}」に参加していません。先に参加してください。"),
        "already-member": ("すでにメンバーです", "{who} はすでに地域「{region}」に参加しています。"),
        "not-admin": ("管理者だけができる操作です",
                      "{who} は地域「{region}」の管理者ではありません。地域の管理者に頼んでください。"),
        "not-verifier": ("確認役だけが審査できます",
                         "{who} は地域「{region}」の確認役ではありません。管理者に確認役を頼んでください。"),
        "last-admin": ("地域には管理者が必要です",
                       "{who} は地域「{region}」の最後の管理者です。先にほかの人を管理者にしてください。"),
        "unknown-role": ("その役割はありません", "役割「{role}」はありません。{roles} から選んでください。"),
        "unknown-category": ("その分野はありません",
                             "分野「{category}」はありません。{categories} から選んでください。"),
        "unknown-claim": ("その活動記録はありません", "地域「{region}」に活動記録 {claim} はありません。"),
        "unknown-quest": ("そのクエストはありません", "地域「{region}」にクエスト {quest} はありません。"),
        "quest-closed": ("クエストの期間外です",
                         "クエスト {quest} の期間は {opens_at} から {closes_at} までです。活動日は {occurred_at} です。"),
        "bad-co-contributors": ("一緒に活動した人の指定が正しくありません", "{reason}"),
        "not-co-contributor": ("この活動記録にあなたの名前はありません",
                               "{who} は活動記録 {claim} の共同活動者ではないので、確認することはありません。"),
        "already-confirmed": ("確認済みです", "{who} は活動記録 {claim} をすでに確認しています。"),
        "own-claim": ("自分の活動にはできません",
                      "{who} は活動記録 {claim} の本人または共同活動者です。ほかの人にお願いしてください。"),
        "already-reviewed": ("審査済みです", "{who} は活動記録 {claim} をすでに審査しています。"),
        "claim-decided": ("この活動記録はもう受け付けていません",
                          "活動記録 {claim} の状態は {status} のため、いまはこの操作ができません。"),
        "reason-required": ("理由を書いてください", "この操作には、本人が読んで分かる理由が必要です。"),
        "budget-exceeded": ("応援ポイントの残りが足りません",
                            "{who} の今期の応援ポイントは {budget} のうち残り {left} です（{epoch_end} まで）。"
                            "この応援には {amount} 必要です。"),
        "bad-policy": ("ポイントのルールが正しくありません", "{reason}"),
        "policy-version": ("ルールの版番号が違います",
                           "地域「{region}」の次の版は {expected} です（{got} ではありません）。"),
        "not-revoked": ("取り消されていません", "活動記録 {claim} の状態は {status} で、取り消されていません。"),
        "unknown-details": ("詳細情報がありません", "{details_hash} の詳細情報は保存されていません。"),
        "details-mismatch": ("詳細情報がハッシュと一致しません",
                             "この詳細情報のハッシュは {got} で、{details_hash} ではありません。"),
        "details-erased": ("詳細情報は削除されています", "{details_hash} の詳細情報はご依頼により削除されました。"),
        "not-allowed": ("この操作はできません", "{reason}"),
        "bad-invitation": ("招待コードが使えません",
                           "この招待コードは見つからないか、使用済みか、期限切れです。地域の管理者に新しいコードを"
                           "もらってください。"),
        "invitation-exists": ("招待はすでに発行されています", "同じコードの招待がすでにあります。"),
        "unknown-invitation": ("その招待はありません", "地域「{region}」にこのコードの招待はありません。"),
        "invitation-used": ("この招待コードは使用済みです",
                            "このコードではもう参加の手続きがすんでいます。ご本人なら、会員番号と合言葉で"
                            "ログインしてください。"),
        "invitation-revoked": ("この招待は取り消されました",
                               "事務局がこの招待を取り消しました。新しい招待をもらってください。"),
        "bad-recovery": ("再設定コードが使えません",
                         "この再設定コードは見つからないか、使用済みか、新しいコードに置き換えられたか、"
                         "期限切れです。事務局に新しいコードをもらってください。"),
        "passphrase-replaced": ("この合言葉は使えなくなりました",
                                "事務局が合言葉の再設定コードを発行しました。コードを入れて新しい合言葉を"
                                "決めてください。これまでの記録とポイントはそのままです。"),
        "bad-email": ("メールアドレスの形が正しくないようです",
                      "アドレスを確かめてください（name@example.jp のような形です）。"),
        "weak-passphrase": ("合言葉が短すぎます",
                            "合言葉は {min} 文字以上にしてください（いくつかの言葉を並べると覚えやすいです）。"),
        "bad-login": ("ログインできませんでした", "アカウントか合言葉が違います。もう一度お試しください。"),
        "not-managed": ("このアカウントの鍵はサービスが預かっていません",
                        "{who} はご自身のウォレットで署名します。サービスが代わりに署名することはできません。"),
        "no-service-key": ("いまはサービスが署名できません",
                           "このサーバーには地域のサービス鍵がありません。運営者にお知らせください。"),
        "no-chain": ("ブロックチェーンが設定されていません", "このサーバーにはバッジを発行するチェーンがありません。"),
        "not-approved": ("承認されていない活動記録です",
                         "活動記録 {claim} の状態は {status} です。バッジは承認された活動にだけ発行されます。"),
        "badge-exists": ("バッジは発行済みです", "{who} は活動記録 {claim} のバッジをすでに持っています。"),
        "chain-refused": ("バッジを発行できませんでした", "何も記録していません。しばらくしてからもう一度お試しください。（{reason}）"),
        "busy": ("混み合っています", "ただいま混み合っています。少し待ってからもう一度お試しください。"),
        "quest-not-open": ("このクエストはいま受け付けていません",
                           "クエスト {quest} の状態は {status} のため、申し込みや活動の記録を受け付けていません。"),
        "quest-full": ("定員に達しています", "クエスト {quest} の定員 {capacity} 人はすべて埋まりました。"),
        "already-signed-up": ("申し込み済みです", "{who} はクエスト {quest} にすでに申し込んでいます。"),
        "not-signed-up": ("申し込みがありません",
                          "{who} はクエスト {quest} に申し込んでいないので、取り消すものはありません。"),
        "quest-decided": ("このクエストは審査待ちではありません",
                          "クエスト {quest} の状態は {status} です。公開・見送りができるのは提案中のクエストだけです。"),
        "own-quest": ("自分の提案は自分で決められません",
                      "{who} はクエスト {quest} の提案者です。ほかの管理者か確認役に公開してもらってください。"),
        "not-organiser": ("主催者だけができる操作です",
                          "{who} はクエスト {quest} の主催者（作成者・連絡先・管理者）ではありません。"),
        "checkin-expired": ("チェックインのコードの期限が切れています",
                            "このコードはもう使えません（{step} 秒ごとに変わります）。主催者の画面のコードをもう一度読み取ってください。"),
        "checkin-closed": ("チェックインは受付中ではありません",
                           "クエスト {quest} のチェックインはいま開いていません。主催者に開いてもらってください。"),
        "unknown-perk": ("その特典はありません", "地域「{region}」に特典 {perk} はありません。"),
        "perk-expired": ("この特典の受付は終わりました", "特典 {perk} の交換期限は {valid_until} でした。"),
        "perk-out-of-stock": ("この特典は品切れです", "特典 {perk} は {stock} 個すべて交換されました。"),
        "perk-changed": ("特典のポイント数が変わりました",
                         "特典 {perk} はいま {cost} ポイントです（{got} ではありません）。もう一度確かめてから交換してください。"),
        "balance-too-low": ("使えるポイントが足りません",
                            "{who} の使えるポイントは {balance} です。この特典は {cost} ポイントです。"
                            "交換しても累計ポイントとレベルは変わりません。"),
        "unknown-redemption": ("その交換はありません", "地域「{region}」に交換 {redemption} はありません。"),
        "redemption-decided": ("この交換はもう手続き済みです",
                               "交換 {redemption} の状態は {status} のため、変更できません。"),
        "level-too-low": ("まだレベルが足りません",
                          "提案するにはレベル {needed} が必要です。{who} はいまレベル {level} です。地域での活動を続けると上がります。"),
        "bad-proposal": ("提案の内容に不備があります", "{reason_ja}"),
        "unknown-proposal": ("提案が見つかりません", "地域「{region}」に提案 {proposal} はありません。"),
        "voting-not-open": ("投票はまだ始まっていません",
                            "この提案の投票は {opens_at} に始まります（いまは {now}）。その時刻以降にもう一度お越しください。"),
        "voting-closed": ("投票は締め切られました", "この提案の投票は {closes_at} に締め切られました。もう投票できません。"),
        "proposal-ended": ("この提案は受け付けを終えています", "提案 {proposal} の状態は {status} です。"),
        "not-eligible": ("この提案には投票できません", "{reason_ja}"),
        "bad-ballot": ("投票の内容がこの投票方式に合いません", "{reason_ja}"),
        "not-proposer": ("取り下げられるのは提案者だけです",
                         "{who} は提案 {proposal} の提案者ではありません。提案者が取り下げるか、管理者が理由を添えて中止できます。"),
        "proposal-has-votes": ("すでに投票があります",
                               "提案 {proposal} には {votes} 票が入っているため、取り下げられません。管理者が理由を添えて中止できます。"),
        "details-taken": ("この詳細情報はほかの人の活動記録のものです",
                          "{details_hash} の詳細情報は、すでにほかの人の活動記録が使っています。"
                          "ご自身の詳細情報を添えてください。"),
        "details-not-yours": ("先に詳細情報を保存してください",
                              "活動記録に付けられるのは、本人が保存した詳細情報だけです。{who} として"
                              "詳細情報を保存してから記録してください。"),
        "not-image": ("添付できるのは写真だけです",
                      "{name} は写真（JPEG、PNG、GIF、WebP、HEIC、AVIF）ではありません{got}。"),
        "quota-exceeded": ("保存できる量の上限です", "{reason}"),
        "bad-receipt": ("パートナー地域の記録を確認できませんでした",
                        "{partner} の記録は受け付けられませんでした（{reason}）。改ざんされている"
                        "おそれがあるため、表示していません。{partner} で記録を取り直して、もう一度お試しください。"),
        "record-not-consented": ("本人の同意がありません",
                                 "{partner} での {member} の記録は、両方の地域で本人が同意したときだけ"
                                 "表示できます。{partner} とこちらで「記録を表示する」に署名してから、もう一度お試しください。"),
        "not-cosigned": ("パートナー地域のログがまだ立会署名されていません",
                         "この記録を含む {partner} のログのチェックポイントに、{witness} の立会署名が"
                         "まだありません。数秒で済みますので、1 分ほどしてからもう一度お試しください。"),
        "no-record": ("そのパートナー地域の記録はありません",
                      "{who} には、こちらで表示している {partner} の記録がありません。"),
        "bad-character": ("保存できない文字が含まれています",
                          "{field} に NUL 文字（U+0000）が含まれています。取り除いてもう一度お試しください。"),
        "rate-limited": ("試行回数が多すぎます",
                         "短い時間に何度も試されました。安全のため、{retry_after} 秒待ってからもう一度お試しください。"),
        "unavailable": ("いまは記録できません",
                        "サーバーの保存先が使えません（{reason}）。何も記録していません。数分後にもう一度"
                        "お試しください。運営者には通知されています。"),
        "outcome-unknown": ("記録されたか分かりません",
                            "書き込みの途中でデータベースとの接続が切れました。同じ署名済みメッセージを"
                            "もう一度送ってください。記録済みならその記録が返り、二重に記録されることはありません。"),
    },
}

DEFAULT_LANGUAGE = "en"


class DomainError(Exception):
    """A recognition rule refused a request. ``code`` is stable; :meth:`text` gives
    the title and detail in a language of :data:`MESSAGES`."""

    def __init__(self, code: str, **params: Any) -> None:
        if code not in MESSAGES[DEFAULT_LANGUAGE]:
            raise KeyError(f"no message for refusal code {code!r}")
        self.code = code
        self.params = params
        super().__init__(self.text()[1])

    def text(self, language: str = DEFAULT_LANGUAGE) -> tuple[str, str]:
        """``(title, detail)`` in ``language`` (English when there is no such catalogue)."""
        catalogue = MESSAGES.get(language) or MESSAGES[DEFAULT_LANGUAGE]
        title, template = catalogue.get(self.code) or MESSAGES[DEFAULT_LANGUAGE][self.code]
        try:
            return title, template.format(**self.params)
        except (KeyError, IndexError, ValueError):
            return title, template
