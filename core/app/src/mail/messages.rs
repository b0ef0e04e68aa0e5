//! What each transactional e-mail says, in the recipient's market's language (English when
//! there is no text in it): a subject and a plain-text body.

/// The subject and text of the message of `topic` in `language` (a BCP 47 tag: its primary
/// subtag picks the text), greeting `name` when given; `None` for a topic without a message.
pub fn render(topic: &str, language: &str, name: Option<&str>) -> Option<(String, String)> {
    let primary = language.split('-').next().unwrap_or("en");
    let greeting = |hello: &str, fallback: &str| match name {
        Some(n) => format!("{hello} {n},"),
        None => fallback.to_string(),
    };
    let (subject, body) = match (topic, primary) {
        (super::ACCOUNT_CREATED, "fr") => (
            "Votre compte est créé",
            format!(
                "{}\n\nVotre compte est prêt. Connectez-vous avec votre adresse et votre mot de passe.\n\n\
                 Si vous n'êtes pas à l'origine de cette inscription, répondez à ce message.",
                greeting("Bonjour", "Bonjour,")
            ),
        ),
        (super::ACCOUNT_CREATED, "de") => (
            "Ihr Konto ist eingerichtet",
            format!(
                "{}\n\nIhr Konto ist bereit. Melden Sie sich mit Ihrer Adresse und Ihrem Passwort an.\n\n\
                 Wenn Sie sich nicht registriert haben, antworten Sie auf diese Nachricht.",
                greeting("Hallo", "Hallo,")
            ),
        ),
        (super::ACCOUNT_CREATED, "ja") => (
            "アカウントを作成しました",
            format!(
                "{}\n\nアカウントの準備ができました。メールアドレスとパスワードでログインしてください。\n\n\
                 お心当たりのない場合は、このメールに返信してください。",
                name.map_or_else(|| "こんにちは。".to_string(), |n| format!("{n} 様"))
            ),
        ),
        (super::ACCOUNT_CREATED, _) => (
            "Your account is ready",
            format!(
                "{}\n\nYour account is ready. Log in with your e-mail address and your password.\n\n\
                 If you did not sign up, reply to this message.",
                greeting("Hello", "Hello,")
            ),
        ),
        (super::SIGN_UP_WITH_EXISTING_ADDRESS, "fr") => (
            "Une inscription avec votre adresse",
            "Bonjour,\n\nQuelqu'un a voulu créer un compte avec votre adresse, qui en a déjà un. Rien n'a changé.\n\n\
             Si c'était vous, connectez-vous, ou réinitialisez votre mot de passe si vous l'avez oublié. \
             Sinon, vous pouvez ignorer ce message."
                .to_string(),
        ),
        (super::SIGN_UP_WITH_EXISTING_ADDRESS, "de") => (
            "Eine Registrierung mit Ihrer Adresse",
            "Hallo,\n\nJemand wollte mit Ihrer Adresse ein Konto anlegen, doch es gibt schon eines. Nichts wurde \
             geändert.\n\nWaren Sie es, melden Sie sich an oder setzen Sie Ihr Passwort zurück. Sonst können Sie \
             diese Nachricht ignorieren."
                .to_string(),
        ),
        (super::SIGN_UP_WITH_EXISTING_ADDRESS, "ja") => (
            "お客様のメールアドレスでの登録について",
            "こんにちは。\n\nお客様のメールアドレスでアカウントの作成が試みられましたが、すでにアカウントがあります。\
             変更はありません。\n\nお客様ご本人の場合はログインするか、パスワードを再設定してください。\
             お心当たりがなければ、このメールは無視してください。"
                .to_string(),
        ),
        (super::SIGN_UP_WITH_EXISTING_ADDRESS, _) => (
            "A sign-up with your address",
            "Hello,\n\nSomeone tried to create an account with your address, which has one already. Nothing \
             changed.\n\nIf it was you, log in, or reset your password if you forgot it. Otherwise you can \
             ignore this message."
                .to_string(),
        ),
        _ => return None,
    };
    Some((subject.to_string(), body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mail_topic_has_a_message_in_every_language_with_english_as_the_fallback() {
        for topic in [super::super::ACCOUNT_CREATED, super::super::SIGN_UP_WITH_EXISTING_ADDRESS] {
            let english = render(topic, "en-GB", None).unwrap();
            assert_eq!(render(topic, "es", None).unwrap(), english, "no Spanish text: English");
            for language in ["fr", "fr-CA", "de", "ja"] {
                let (subject, text) = render(topic, language, Some("Camille")).unwrap();
                assert_ne!(subject, english.0, "{topic} {language}");
                assert!(!text.is_empty());
            }
        }
        assert_eq!(render("mail.unknown", "en", None), None);
    }

    #[test]
    fn the_welcome_greets_by_name() {
        assert!(
            render(super::super::ACCOUNT_CREATED, "fr", Some("Camille")).unwrap().1.starts_with("Bonjour Camille,")
        );
        assert!(render(super::super::ACCOUNT_CREATED, "en", None).unwrap().1.starts_with("Hello,"));
    }
}
