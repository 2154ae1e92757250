//! The words on the pages, in Chinese and English.

use healthcode_core::ErrorCode;
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

/// Stable names (of roles, purposes, kinds of fact…) with their words.
type Words<const N: usize> = [(&'static str, &'static str); N];

/// The word for the stable name `key`, or the name itself when the table does
/// not know it (a name newer than the pages).
pub fn word<'a>(table: &'a [(&'static str, &'static str)], key: &'a str) -> &'a str {
    table
        .iter()
        .find(|(name, _)| *name == key)
        .map_or(key, |(_, word)| word)
}

/// Every string a page shows.
pub struct Text {
    language: Lang,
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
    pub document_types: Words<5>,
    pub document_number_label: &'static str,
    pub phone_label: &'static str,
    pub address_label: &'static str,
    pub optional: &'static str,
    pub register_button: &'static str,
    pub registered: &'static str,
    pub deleted: &'static str,
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
    // My data.
    pub data_link: &'static str,
    pub data_heading: &'static str,
    pub data_intro: &'static str,
    pub times_note: &'static str,
    pub download: &'static str,
    pub nothing_held: &'static str,
    pub list_separator: &'static str,
    pub yes: &'static str,
    pub none: &'static str,
    pub profile_heading: &'static str,
    pub registered_at: &'static str,
    pub status_heading: &'static str,
    pub not_assessed: &'static str,
    pub colour_label: &'static str,
    pub policy_version: &'static str,
    pub computed_at: &'static str,
    pub reason: &'static str,
    pub facts_heading: &'static str,
    pub fact_kinds: Words<6>,
    pub recorded_at: &'static str,
    pub source: &'static str,
    pub fact_sources: Words<6>,
    pub content: &'static str,
    pub test_kind: &'static str,
    pub test_kinds: Words<2>,
    pub outcome: &'static str,
    pub outcomes: Words<2>,
    pub sampled_at: &'static str,
    pub result_at: &'static str,
    pub laboratory: &'static str,
    pub pooled: &'static str,
    pub taken_at: &'static str,
    pub declared_at: &'static str,
    pub symptoms_label: &'static str,
    pub symptoms: Words<6>,
    pub temperature: &'static str,
    pub travel: &'static str,
    pub product: &'static str,
    pub dose: &'static str,
    pub vaccinated_on: &'static str,
    pub designation: &'static str,
    pub designations: Words<2>,
    pub since: &'static str,
    pub until: &'static str,
    pub not_lifted: &'static str,
    pub pool: &'static str,
    pub check_ins_heading: &'static str,
    pub at: &'static str,
    pub venue: &'static str,
    pub division: &'static str,
    pub how: &'static str,
    pub check_in_sources: Words<2>,
    pub overrides_heading: &'static str,
    pub justification: &'static str,
    pub requested_at: &'static str,
    pub requested_by: &'static str,
    pub approved_at: &'static str,
    pub approved_by: &'static str,
    pub awaiting_approval: &'static str,
    pub expires_at: &'static str,
    pub appeals_heading: &'static str,
    pub filed_at: &'static str,
    pub appealed_colour: &'static str,
    pub appeal_text: &'static str,
    pub appeal_status: &'static str,
    pub appeal_statuses: Words<3>,
    pub resolution: &'static str,
    pub resolved_at: &'static str,
    pub samples_heading: &'static str,
    pub tube: &'static str,
    pub awaiting_result: &'static str,
    pub sessions_heading: &'static str,
    pub opened_at: &'static str,
    // Who looked at my data.
    pub access_link: &'static str,
    pub access_heading: &'static str,
    pub access_intro: &'static str,
    pub access_when: &'static str,
    pub access_who: &'static str,
    pub access_why: &'static str,
    pub access_what: &'static str,
    pub access_empty: &'static str,
    pub older_entries: &'static str,
    pub account: &'static str,
    pub roles: Words<7>,
    pub actor_kinds: Words<2>,
    pub purposes: Words<6>,
    pub data_fields: Words<9>,
    // Delete my account.
    pub delete_link: &'static str,
    pub delete_heading: &'static str,
    pub delete_intro: &'static str,
    pub delete_goes_heading: &'static str,
    pub delete_goes: [&'static str; 6],
    pub delete_key: &'static str,
    pub delete_stays_heading: &'static str,
    pub delete_stays: &'static str,
    pub delete_final: &'static str,
    pub delete_again: &'static str,
    pub delete_password_label: &'static str,
    pub delete_understood: &'static str,
    pub delete_button: &'static str,
    pub delete_unconfirmed: &'static str,
    green: &'static str,
    yellow: &'static str,
    red: &'static str,
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

    /// A colour by its stable name (`green`…), as stored.
    pub fn colour_named<'a>(&self, name: &'a str) -> &'a str {
        Colour::parse(name).map_or(name, |c| self.colour(c))
    }

    /// Dose `dose` of a series of `of`.
    pub fn dose_of(&self, dose: u8, of: u8) -> String {
        match self.language {
            Lang::Zh => format!("第 {dose} 剂，共 {of} 剂"),
            Lang::En => format!("{dose} of {of}"),
        }
    }

    /// An error for a page, in the page's language, with its stable code: the
    /// code is what a person quotes to a help desk.
    pub fn error(&self, code: ErrorCode) -> String {
        let words = match self.language {
            Lang::Zh => error_zh(code),
            Lang::En => error_en(code),
        };
        let mut chars = words.chars();
        let words: String = match chars.next() {
            Some(first) => first.to_uppercase().chain(chars).collect(),
            None => String::new(),
        };
        format!("{words} ({code})")
    }
}

/// Chinese words for every error code. The match has no catch-all, so a code
/// added to the registry cannot reach the pages untranslated.
fn error_zh(code: ErrorCode) -> &'static str {
    use ErrorCode as C;
    match code {
        C::AuthRequired => "请先登录",
        C::AuthForbidden => "此账号无权进行此操作",
        C::AuthInvalidCredentials => "账号或密码错误",
        C::LoginIdentifier => "请只填写证件号码、手机号或用户名中的一项",
        C::PasswordTooLong => "密码过长",
        C::RequestInvalidJson => "提交的内容无法读取",
        C::RequestInvalidField => "有信息缺失或格式不正确",
        C::RequestContentType => "提交的内容格式不受支持",
        C::RequestTooLarge => "提交的内容过大",
        C::RequestInvalidQuery => "链接中的参数有误",
        C::RequestInvalid => "请求有误",
        C::NotFound => "找不到该内容",
        C::Conflict => "该内容已存在",
        C::Internal => "系统内部错误，已记录，请稍后再试",
        C::IdEmpty => "证件号码不能为空",
        C::IdLength => "居民身份证号码位数不对",
        C::IdFormat => "居民身份证号码格式不正确",
        C::IdChecksum => "居民身份证号码校验位不符，请核对",
        C::IdRegion => "居民身份证号码中的地区代码不存在",
        C::IdBirthdate => "居民身份证号码中的出生日期不合理",
        C::IdPassport => "护照号码格式不正确",
        C::IdPermit => "通行证号码格式不正确",
        C::IdForeignResidence => "外国人永久居留身份证号码格式不正确",
        C::IdDocumentType => "不支持的证件类型",
        C::NameInvalid => "姓名不符合要求",
        C::PhoneInvalid => "手机号格式不正确",
        C::PasswordWeak => "密码太短或太容易被猜到",
        C::AddressInvalid => "地址过长或含有控制字符",
        C::RealnameNameScript => "居民身份证登记的姓名应为汉字",
        C::RealnameMismatch => "姓名与证件信息不符",
        C::RealnameUnavailable => "实名核验服务暂不可用，请稍后再试",
        C::RegistrationDuplicateDocument => "该证件已注册",
        C::RegistrationDuplicatePhone => "该手机号已注册",
        C::PersonNotFound => "找不到持此证件或此码的人员",
        C::PersonErased => "此人的数据已被删除",
        C::ErasureReference => "书面申请的编号格式不正确",
        C::KeysNoSigner => "暂无可用的签名密钥，请稍后再试",
        C::FactTime => "时间超出允许范围",
        C::DeclarationSymptom => "未知的症状",
        C::DeclarationTemperature => "体温超出合理范围",
        C::DeclarationTravel => "行程中有未知的行政区划",
        C::PolicyNone => "当前没有生效的赋码政策",
        C::PolicyRetroactive => "新政策必须在将来生效",
        C::PolicyDuplicate => "已有相同版本或相同生效时间的政策",
        C::PolicyParse => "提交的内容不是政策文件",
        C::PolicyInvalidDocument => "政策文件前后不一致",
        C::PolicyInvalidRule => "有规则不是有效的 CertLogic 规则",
        C::PolicyInvalidTemplate => "有规则的说明文字模板无效",
        C::PolicyDuplicateVersion => "有两个政策的版本号相同",
        C::PolicySameEffectiveFrom => "有两个政策的生效时间相同",
        C::RiskAreaDivision => "未知的行政区划",
        C::RiskAreaScope => "风险区范围必须是行政区划或场所",
        C::RiskAreaLevel => "风险等级必须是高、中或低",
        C::RiskAreaName => "风险区名称过长",
        C::RiskAreaTime => "风险区时间段格式不正确",
        C::OverrideColour => "颜色必须是绿、黄或红",
        C::OverrideJustification => "理由须为 5 至 500 个字",
        C::OverrideExpiresAt => "人工赋码须在 30 天内到期",
        C::OverrideSameOfficial => "人工赋码须由另一名工作人员审批",
        C::OverrideNotPending => "该人工赋码已审批或已过期",
        C::AppealText => "申诉内容须为 5 至 1000 个字",
        C::AppealNote => "处理意见须为 5 至 1000 个字",
        C::AppealDecision => "处理结果必须是申诉成立或驳回",
        C::AppealNotOpen => "该申诉已处理",
        C::TubeId => "试管编号格式不正确",
        C::TubeCapacity => "试管容量超出范围",
        C::TubeExists => "该编号的试管已存在",
        C::TubeNotOpen => "没有该编号的未封管试管",
        C::TubeFull => "试管已满",
        C::TubeSealed => "试管已封管",
        C::TubeNotFound => "找不到该编号的试管",
        C::TubeEmpty => "试管中没有样本",
        C::TubeResultConflict => "该试管已有不同的检测结果",
        C::ResultKind => "检测类型必须是核酸（PCR）或抗原",
        C::ResultOutcome => "检测结果必须是阳性或阴性",
        C::ResultLaboratory => "检测机构名称须为 1 至 100 个字",
        C::ResultTime => "采样或出结果的时间超出范围",
        C::ImportRow => "导入文件中有一行无法读取",
        C::VenueName => "场所名称过长或含有控制字符",
        C::VenueAddress => "场所地址过长或含有控制字符",
        C::VenueDivision => "行政区划未知或不在本省",
        C::VenueInvalid => "无法为该场所签发场所码",
        C::VenueUnknown => "没有以此编号登记的场所",
        C::VenueNotOwner => "该场所属于其他账号",
        C::VenueDays => "天数超出范围",
        C::CheckInScanId => "扫码编号格式不正确",
        C::CheckInBusy => "等待登记的扫码过多，请用同一扫码编号重试",
        C::CheckInUnavailable => "扫码登记服务已停止",
        C::CodeMalformed => "无法识别此码",
        C::CodeUnsupportedAlgorithm => "此码的签名算法不受支持",
        C::CodeUnknownKey => "此码的密钥未知或已吊销",
        C::CodeRevokedKey => "此码的密钥已吊销",
        C::CodeRetiredKey => "此码的密钥已停用",
        C::CodeBadSignature => "此码的签名无效",
        C::CodeExpired => "此码已过期",
        C::CodeNotYetValid => "此码的签发时间在将来",
        C::CodeWrongIssuer => "此码由其他签发方签发",
        C::CodeRevokedCertificate => "此码已被吊销",
        C::ShcBirthDateUnknown => "SMART 健康卡需要出生日期",
    }
}

/// English words: the registry's meaning, except where it speaks of the API
/// rather than to a person at a form.
fn error_en(code: ErrorCode) -> &'static str {
    use ErrorCode as C;
    match code {
        C::AuthRequired => "please log in",
        C::AuthInvalidCredentials => "wrong login or password",
        C::RequestInvalidJson => "what was sent cannot be read",
        C::RequestInvalidField => "something is missing or has the wrong form",
        C::RequestContentType => "what was sent is in a form this page does not take",
        C::RequestTooLarge => "what was sent is too large",
        C::RequestInvalidQuery => "the link is malformed",
        C::Internal => "an internal error; it has been logged. Please try again later",
        C::RealnameUnavailable => "identity verification is unavailable; please try again later",
        C::KeysNoSigner => "no signing key is active; please try again later",
        C::PolicyParse => "what was sent is not a policy document",
        _ => code.meaning(),
    }
}

const DOCUMENT_TYPES_ZH: Words<5> = [
    ("resident_id", "居民身份证"),
    ("passport", "护照"),
    ("hk_macao_permit", "港澳居民来往内地通行证"),
    ("taiwan_permit", "台湾居民来往大陆通行证"),
    ("foreign_permanent_residence", "外国人永久居留身份证"),
];

static ZH: Text = Text {
    language: Lang::Zh,
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
    address_label: "住址",
    optional: "（选填）",
    register_button: "注册",
    registered: "注册成功，请登录。",
    deleted: "您的账号及全部数据已永久删除。",
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
    data_link: "我的数据",
    data_heading: "我的数据",
    data_intro: "以下是我们保存的关于您的全部数据。",
    times_note: "时间均为北京时间。",
    download: "下载全部数据（JSON 文件）",
    nothing_held: "暂无记录。",
    list_separator: "、",
    yes: "是",
    none: "无",
    profile_heading: "个人信息",
    registered_at: "注册时间",
    status_heading: "健康码颜色",
    not_assessed: "尚未评定。",
    colour_label: "颜色",
    policy_version: "赋码政策版本",
    computed_at: "评定时间",
    reason: "原因",
    facts_heading: "健康信息",
    fact_kinds: [
        ("test_result", "检测结果"),
        ("self_test", "抗原自测"),
        ("declaration", "健康申报"),
        ("vaccination", "疫苗接种"),
        ("designation", "卫生健康部门的认定"),
        ("pending_retest", "待单独复检"),
    ],
    recorded_at: "记录时间",
    source: "来源",
    fact_sources: [
        ("laboratory", "检测机构"),
        ("citizen", "本人"),
        ("venue", "场所"),
        ("collector", "采样点"),
        ("authority", "卫生健康部门"),
        ("import", "外部系统导入"),
    ],
    content: "内容",
    test_kind: "检测类型",
    test_kinds: [("pcr", "核酸检测"), ("antigen", "抗原检测")],
    outcome: "结果",
    outcomes: [("positive", "阳性"), ("negative", "阴性")],
    sampled_at: "采样时间",
    result_at: "出结果时间",
    laboratory: "检测机构",
    pooled: "混管检测",
    taken_at: "检测时间",
    declared_at: "申报时间",
    symptoms_label: "症状",
    symptoms: [
        ("fever", "发热"),
        ("dry_cough", "干咳"),
        ("fatigue", "乏力"),
        ("sore_throat", "咽痛"),
        ("loss_of_smell_or_taste", "嗅觉或味觉减退"),
        ("diarrhoea", "腹泻"),
    ],
    temperature: "体温",
    travel: "行程",
    product: "疫苗",
    dose: "剂次",
    vaccinated_on: "接种日期",
    designation: "认定",
    designations: [
        ("confirmed_case", "确诊病例"),
        ("close_contact", "密切接触者"),
    ],
    since: "起始时间",
    until: "结束时间",
    not_lifted: "尚未解除",
    pool: "混管编号",
    check_ins_heading: "场所扫码记录",
    at: "时间",
    venue: "场所",
    division: "所在地区",
    how: "方式",
    check_in_sources: [
        ("place_code", "本人扫场所码"),
        ("personal_code", "工作人员扫本人健康码"),
    ],
    overrides_heading: "人工赋码",
    justification: "理由",
    requested_at: "申请时间",
    requested_by: "申请人账号",
    approved_at: "审批时间",
    approved_by: "审批人账号",
    awaiting_approval: "待审批",
    expires_at: "到期时间",
    appeals_heading: "申诉",
    filed_at: "提交时间",
    appealed_colour: "申诉时的颜色",
    appeal_text: "申诉内容",
    appeal_status: "状态",
    appeal_statuses: [
        ("open", "处理中"),
        ("upheld", "申诉成立"),
        ("rejected", "已驳回"),
    ],
    resolution: "处理意见",
    resolved_at: "处理时间",
    samples_heading: "采样记录",
    tube: "试管编号",
    awaiting_result: "待出结果",
    sessions_heading: "登录记录",
    opened_at: "登录时间",
    access_link: "谁查看了我的数据",
    access_heading: "谁查看了我的数据",
    access_intro: "除您本人以外，每一次查看您数据的记录，最新的在前。如有疑问，可凭账号编号投诉。",
    access_when: "时间",
    access_who: "查看者",
    access_why: "事由",
    access_what: "查看的数据",
    access_empty: "还没有其他人查看过您的数据。",
    older_entries: "更早的记录",
    account: "账号",
    roles: [
        ("citizen", "市民"),
        ("checker", "扫码查验人员"),
        ("collector", "采样人员"),
        ("lab", "检测机构"),
        ("venue", "场所"),
        ("authority", "卫生健康部门"),
        ("regulator", "监管部门"),
    ],
    actor_kinds: [("job", "系统自动任务"), ("operator", "系统运维人员")],
    purposes: [
        ("check_in", "场所扫码登记"),
        ("sampling", "核酸采样"),
        ("test_result", "录入检测结果"),
        ("recompute", "重新评定健康码"),
        ("case_handling", "个案处理（人工赋码、申诉）"),
        ("import", "外部数据导入"),
    ],
    data_fields: [
        ("name", "姓名"),
        ("masked_name", "隐去部分的姓名"),
        ("document", "证件"),
        ("colour", "健康码颜色"),
        ("facts", "健康信息"),
        ("check_ins", "场所扫码记录"),
        ("overrides", "人工赋码"),
        ("appeals", "申诉"),
        ("samples", "采样记录"),
    ],
    delete_link: "注销账号并删除我的数据",
    delete_heading: "注销账号",
    delete_intro: "注销后，您的账号和我们保存的关于您的全部数据将被永久删除。",
    delete_goes_heading: "将被删除的内容",
    delete_goes: [
        "账号及所有登录会话",
        "个人信息：姓名、证件、手机号、住址",
        "全部健康信息：检测结果、自测、健康申报、疫苗接种、认定",
        "场所扫码记录、人工赋码、申诉和采样记录",
        "健康码颜色及其原因",
        "谁查看了您数据的记录",
    ],
    delete_key: "系统会首先销毁您的数据密钥，因此备份中的数据也无法再被读取。",
    delete_stays_heading: "将保留的内容",
    delete_stays: "仅保留一条“某个账号已被注销”的记录（注销时间、由谁申请），不含任何个人信息。",
    delete_final: "此操作无法撤销。",
    delete_again: "注销后，您的证件号码和手机号可以重新注册，但将作为一个全新的身份，原有数据不会恢复。",
    delete_password_label: "请输入密码以确认",
    delete_understood: "我已了解此操作无法撤销",
    delete_button: "永久注销账号",
    delete_unconfirmed: "请勾选“我已了解此操作无法撤销”",
    green: "绿码",
    yellow: "黄码",
    red: "红码",
};

static EN: Text = Text {
    language: Lang::En,
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
    address_label: "Address",
    optional: " (optional)",
    register_button: "Register",
    registered: "Registered. Please log in.",
    deleted: "Your account and all your data have been deleted for good.",
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
    data_link: "My data",
    data_heading: "My data",
    data_intro: "Everything held about you.",
    times_note: "Times are China Standard Time (UTC+8).",
    download: "Download everything (JSON file)",
    nothing_held: "Nothing held.",
    list_separator: ", ",
    yes: "Yes",
    none: "None",
    profile_heading: "Profile",
    registered_at: "Registered",
    status_heading: "Code colour",
    not_assessed: "Not assessed yet.",
    colour_label: "Colour",
    policy_version: "Policy version",
    computed_at: "Assessed",
    reason: "Reason",
    facts_heading: "Health facts",
    fact_kinds: [
        ("test_result", "Test results"),
        ("self_test", "Antigen self-tests"),
        ("declaration", "Health declarations"),
        ("vaccination", "Vaccinations"),
        ("designation", "Findings of the health authority"),
        ("pending_retest", "Individual retests due"),
    ],
    recorded_at: "Recorded",
    source: "Source",
    fact_sources: [
        ("laboratory", "Laboratory"),
        ("citizen", "You"),
        ("venue", "Venue"),
        ("collector", "Sampling point"),
        ("authority", "Health authority"),
        ("import", "Imported from another system"),
    ],
    content: "Content",
    test_kind: "Test",
    test_kinds: [("pcr", "PCR"), ("antigen", "Antigen")],
    outcome: "Result",
    outcomes: [("positive", "Positive"), ("negative", "Negative")],
    sampled_at: "Sampled",
    result_at: "Result reported",
    laboratory: "Laboratory",
    pooled: "Pooled sample",
    taken_at: "Taken",
    declared_at: "Declared",
    symptoms_label: "Symptoms",
    symptoms: [
        ("fever", "Fever"),
        ("dry_cough", "Dry cough"),
        ("fatigue", "Fatigue"),
        ("sore_throat", "Sore throat"),
        ("loss_of_smell_or_taste", "Loss of smell or taste"),
        ("diarrhoea", "Diarrhoea"),
    ],
    temperature: "Temperature",
    travel: "Travel",
    product: "Vaccine",
    dose: "Dose",
    vaccinated_on: "Date",
    designation: "Finding",
    designations: [
        ("confirmed_case", "Confirmed case"),
        ("close_contact", "Close contact"),
    ],
    since: "From",
    until: "Until",
    not_lifted: "Not lifted yet",
    pool: "Pool",
    check_ins_heading: "Check-ins",
    at: "When",
    venue: "Venue",
    division: "Area",
    how: "How",
    check_in_sources: [
        ("place_code", "You scanned the place code"),
        ("personal_code", "Staff scanned your code"),
    ],
    overrides_heading: "Overrides of my colour",
    justification: "Justification",
    requested_at: "Requested",
    requested_by: "Requested by account",
    approved_at: "Approved",
    approved_by: "Approved by account",
    awaiting_approval: "Awaiting approval",
    expires_at: "Expires",
    appeals_heading: "Appeals",
    filed_at: "Filed",
    appealed_colour: "Colour appealed",
    appeal_text: "Appeal",
    appeal_status: "Status",
    appeal_statuses: [
        ("open", "Open"),
        ("upheld", "Upheld"),
        ("rejected", "Rejected"),
    ],
    resolution: "Answer",
    resolved_at: "Answered",
    samples_heading: "Samples",
    tube: "Tube",
    awaiting_result: "Awaiting result",
    sessions_heading: "Sessions",
    opened_at: "Logged in",
    access_link: "Who looked at my data",
    access_heading: "Who looked at my data",
    access_intro: "Every time someone other than you opened your data, newest first. Quote the account id in a complaint.",
    access_when: "When",
    access_who: "Who",
    access_why: "Why",
    access_what: "Which data",
    access_empty: "Nobody else has opened your data.",
    older_entries: "Older entries",
    account: "account",
    roles: [
        ("citizen", "Citizen"),
        ("checker", "Checker"),
        ("collector", "Sample collector"),
        ("lab", "Laboratory"),
        ("venue", "Venue"),
        ("authority", "Health authority"),
        ("regulator", "Regulator"),
    ],
    actor_kinds: [("job", "Automatic job"), ("operator", "Operator")],
    purposes: [
        ("check_in", "Check-in"),
        ("sampling", "Sampling"),
        ("test_result", "Test result recorded"),
        ("recompute", "Colour reassessed"),
        ("case_handling", "Case handling (override, appeal)"),
        ("import", "Import from another system"),
    ],
    data_fields: [
        ("name", "Name"),
        ("masked_name", "Partly hidden name"),
        ("document", "Identity document"),
        ("colour", "Code colour"),
        ("facts", "Health facts"),
        ("check_ins", "Check-ins"),
        ("overrides", "Overrides"),
        ("appeals", "Appeals"),
        ("samples", "Samples"),
    ],
    delete_link: "Delete my account and data",
    delete_heading: "Delete my account",
    delete_intro: "Deleting your account erases it and everything held about you, for good.",
    delete_goes_heading: "What goes",
    delete_goes: [
        "Your account and all its sessions",
        "Your profile: name, identity document, phone and address",
        "Every health fact: test results, self-tests, health declarations, vaccinations, findings",
        "Your check-ins, overrides of your colour, appeals and sample records",
        "Your code's colour and why",
        "The record of who looked at your data",
    ],
    delete_key: "Your data key is destroyed first, so no backup can be read either.",
    delete_stays_heading: "What stays",
    delete_stays: "Only a record that an account was erased (when, and on whose request), with no personal data.",
    delete_final: "This cannot be undone.",
    delete_again: "Afterwards your document number and phone may register again, as a new identity; nothing of your old data comes back.",
    delete_password_label: "Your password, to confirm",
    delete_understood: "I understand this cannot be undone",
    delete_button: "Delete my account for good",
    delete_unconfirmed: "Tick “I understand this cannot be undone”",
    green: "Green",
    yellow: "Yellow",
    red: "Red",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_has_chinese_words_apart_from_the_english() {
        for &code in ErrorCode::ALL {
            let (zh, en) = (error_zh(code), error_en(code));
            assert!(!zh.trim().is_empty(), "{code} has no Chinese text");
            assert!(!en.trim().is_empty(), "{code} has no English text");
            assert_ne!(zh, en, "{code}: the Chinese text is the English one");
            assert!(
                zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
                "{code}: {zh:?} is not Chinese"
            );
        }
    }

    #[test]
    fn errors_carry_their_code_in_the_page_language() {
        let code = ErrorCode::AuthInvalidCredentials;
        assert_eq!(
            Text::of(Lang::Zh).error(code),
            "账号或密码错误 (auth.invalid_credentials)"
        );
        assert_eq!(
            Text::of(Lang::En).error(code),
            "Wrong login or password (auth.invalid_credentials)"
        );
        assert_eq!(
            Text::of(Lang::En).error(ErrorCode::PasswordWeak),
            "The password is too short or too easy to guess (password.weak)"
        );
    }

    #[test]
    fn stable_names_have_words_and_unknown_names_show_as_they_are() {
        for t in [&ZH, &EN] {
            assert_eq!(
                word(&t.purposes, "check_in"),
                if t.language == Lang::Zh {
                    "场所扫码登记"
                } else {
                    "Check-in"
                }
            );
            assert_eq!(word(&t.roles, "someone_new"), "someone_new");
        }
        // Every role and purpose of the core has words in both languages.
        for role in healthcode_domain::role::Role::ALL {
            assert_ne!(word(&ZH.roles, role.as_str()), role.as_str());
            assert_ne!(word(&EN.roles, role.as_str()), role.as_str());
        }
    }
}
