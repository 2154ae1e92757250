//! The words on the pages, in Chinese and English.

use healthcode_domain::colour::Colour;

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// Chinese unless English is asked for.
    pub fn parse(s: &str) -> Lang {
        if s == "en" { Lang::En } else { Lang::Zh }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }
}

/// Every string a page shows.
pub struct Text {
    pub lang: &'static str,
    pub title: &'static str,
    pub other_lang: &'static str,
    pub other_lang_code: &'static str,
    pub large_text: &'static str,
    pub normal_text: &'static str,
    pub login_heading: &'static str,
    pub login_label: &'static str,
    pub password_label: &'static str,
    pub login_button: &'static str,
    pub register_link: &'static str,
    pub register_heading: &'static str,
    pub name_label: &'static str,
    pub document_type_label: &'static str,
    pub document_types: [(&'static str, &'static str); 5],
    pub document_number_label: &'static str,
    pub phone_label: &'static str,
    pub register_button: &'static str,
    pub registered: &'static str,
    pub code_heading: &'static str,
    pub expires_in: &'static str,
    pub seconds: &'static str,
    pub refreshing: &'static str,
    pub expired: &'static str,
    pub why: &'static str,
    pub logout: &'static str,
    pub back: &'static str,
    pub certificates_link: &'static str,
    pub certificates_heading: &'static str,
    pub certificates_intro: &'static str,
    pub dcc_heading: &'static str,
    pub shc_heading: &'static str,
    pub vaccination: &'static str,
    pub test: &'static str,
    pub immunization_card: &'static str,
    pub laboratory_card: &'static str,
    pub valid_until: &'static str,
    pub nothing_to_export: &'static str,
    pub no_birth_date: &'static str,
    green: &'static str,
    yellow: &'static str,
    red: &'static str,
    invalid_credentials: &'static str,
}

impl Text {
    pub fn of(lang: Lang) -> &'static Text {
        match lang {
            Lang::Zh => &ZH,
            Lang::En => &EN,
        }
    }

    pub fn colour(&self, colour: Colour) -> &'static str {
        match colour {
            Colour::Green => self.green,
            Colour::Yellow => self.yellow,
            Colour::Red => self.red,
        }
    }

    /// An error for a page: translated where we have words for it, with its code.
    pub fn error(&self, code: &str, message: &str) -> String {
        match code {
            "auth.invalid_credentials" => format!("{} ({code})", self.invalid_credentials),
            _ => format!("{message} ({code})"),
        }
    }
}

const DOCUMENT_TYPES_ZH: [(&str, &str); 5] = [
    ("resident_id", "居民身份证"),
    ("passport", "护照"),
    ("hk_macao_permit", "港澳居民来往内地通行证"),
    ("taiwan_permit", "台湾居民来往大陆通行证"),
    ("foreign_permanent_residence", "外国人永久居留身份证"),
];

static ZH: Text = Text {
    lang: "zh-CN",
    title: "健康码",
    other_lang: "English",
    other_lang_code: "en",
    large_text: "大字模式",
    normal_text: "标准字号",
    login_heading: "登录",
    login_label: "证件号码或手机号",
    password_label: "密码",
    login_button: "登录",
    register_link: "没有账号？实名注册",
    register_heading: "实名注册",
    name_label: "姓名",
    document_type_label: "证件类型",
    document_types: DOCUMENT_TYPES_ZH,
    document_number_label: "证件号码",
    phone_label: "手机号",
    register_button: "注册",
    registered: "注册成功，请登录。",
    code_heading: "我的健康码",
    expires_in: "有效期剩余",
    seconds: "秒",
    refreshing: "正在刷新…",
    expired: "已过期，请联网刷新",
    why: "为什么是这个颜色",
    logout: "退出登录",
    back: "返回",
    certificates_link: "国际通行证书",
    certificates_heading: "国际通行证书",
    certificates_intro: "出境时可出示以下证书：欧盟数字新冠证书（EU DCC）和 SMART 健康卡，检查方可离线验证。",
    dcc_heading: "欧盟数字新冠证书（EU DCC）",
    shc_heading: "SMART 健康卡",
    vaccination: "疫苗接种",
    test: "检测结果",
    immunization_card: "疫苗接种记录",
    laboratory_card: "检测记录",
    valid_until: "有效期至",
    nothing_to_export: "暂无可导出的疫苗接种或检测记录。",
    no_birth_date: "SMART 健康卡需要出生日期，仅居民身份证注册的用户可以生成。",
    green: "绿码",
    yellow: "黄码",
    red: "红码",
    invalid_credentials: "账号或密码错误",
};

static EN: Text = Text {
    lang: "en",
    title: "Health code",
    other_lang: "中文",
    other_lang_code: "zh",
    large_text: "Large text",
    normal_text: "Normal text",
    login_heading: "Log in",
    login_label: "Document number or phone",
    password_label: "Password",
    login_button: "Log in",
    register_link: "No account? Register with your real name",
    register_heading: "Register with your real name",
    name_label: "Name",
    document_type_label: "Document type",
    document_types: [
        ("resident_id", "Resident identity card"),
        ("passport", "Passport"),
        ("hk_macao_permit", "Hong Kong/Macao residents' permit"),
        ("taiwan_permit", "Taiwan residents' permit"),
        (
            "foreign_permanent_residence",
            "Foreigner's permanent residence ID",
        ),
    ],
    document_number_label: "Document number",
    phone_label: "Phone",
    register_button: "Register",
    registered: "Registered. Please log in.",
    code_heading: "My health code",
    expires_in: "Valid for",
    seconds: "s",
    refreshing: "Refreshing…",
    expired: "Expired: connect to refresh",
    why: "Why this colour",
    logout: "Log out",
    back: "Back",
    certificates_link: "Travel certificates",
    certificates_heading: "Travel certificates",
    certificates_intro: "Show these abroad: EU Digital COVID Certificates and SMART Health Cards, which checkers verify offline.",
    dcc_heading: "EU Digital COVID Certificates",
    shc_heading: "SMART Health Cards",
    vaccination: "Vaccination",
    test: "Test result",
    immunization_card: "Vaccinations",
    laboratory_card: "Test results",
    valid_until: "Valid until",
    nothing_to_export: "No vaccination or test result to export yet.",
    no_birth_date: "SMART Health Cards need a birth date, known only for people registered with a resident ID.",
    green: "Green",
    yellow: "Yellow",
    red: "Red",
    invalid_credentials: "Wrong login or password",
};
