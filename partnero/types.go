package partnero

import (
	"encoding/json"
	"reflect"
	"time"
)

// Partner is an affiliate partner of the program. The same struct is read from
// list, get, create and update answers (fields a given answer does not carry stay
// zero) and is what the mapping layer produces for an import.
type Partner struct {
	// ID is the partner's id in the program, chosen at create time or generated
	// by Partnero. Numbers are accepted where a string is expected.
	ID ID `json:"id,omitempty"`
	// Email is unique in the program and required to create a partner.
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	Surname string `json:"surname,omitempty"`
	// Key is the partner's referral key. List answers do not carry it; it is
	// sent on create and update and read back from referral links.
	Key string `json:"key,omitempty"`
	// Password is only ever sent, never answered.
	Password string `json:"password,omitempty"`
	Tags     Tags   `json:"tags,omitempty"`
	// ReferringPartner names the partner who referred this one (create only).
	ReferringPartner *PartnerRef `json:"referring_partner,omitempty"`

	Approved       *bool           `json:"approved,omitempty"`
	Status         string          `json:"status,omitempty"`
	TOS            *bool           `json:"tos,omitempty"`
	ReferralsCount *int64          `json:"referrals_count,omitempty"`
	ReferralLink   string          `json:"referral_link,omitempty"`
	ReferralLinks  []string        `json:"referral_links,omitempty"`
	CustomFields   json.RawMessage `json:"custom_fields,omitempty"`
	CreatedAt      *Time           `json:"created_at,omitempty"`
	UpdatedAt      *Time           `json:"updated_at,omitempty"`

	// Links are the partner's referral link objects, when an export fetched
	// them (one request per partner): the referral_links table.
	Links []ReferralLink `json:"-"`
}

// PartnerUpdate is the body of an update: a nil field is left as it is. Tags
// set to a non-nil empty slice clears the partner's tags.
type PartnerUpdate struct {
	Email    *string   `json:"email,omitempty"`
	Name     *string   `json:"name,omitempty"`
	Surname  *string   `json:"surname,omitempty"`
	Password *string   `json:"password,omitempty"`
	Key      *string   `json:"key,omitempty"`
	Tags     *[]string `json:"tags,omitempty"`
}

// PartnerRef names a partner by one of its identities. Answers name a partner
// by its id as a bare string or number; that decodes into ID.
type PartnerRef struct {
	ID    ID     `json:"id,omitempty"`
	Key   string `json:"key,omitempty"`
	Email string `json:"email,omitempty"`
}

// Customer is a customer referred by a partner.
type Customer struct {
	// Key is the customer's unique key (usually the billing system's id).
	Key     string `json:"key,omitempty"`
	Email   string `json:"email,omitempty"`
	Name    string `json:"name,omitempty"`
	Surname string `json:"surname,omitempty"`
	Tags    Tags   `json:"tags,omitempty"`
	// Partner is the referring partner: required on create, a bare partner id
	// in answers. It cannot be changed once the customer exists.
	Partner *PartnerRef `json:"partner,omitempty"`

	Status    string `json:"status,omitempty"`
	Deleted   *bool  `json:"deleted,omitempty"`
	CreatedAt *Time  `json:"created_at,omitempty"`
	UpdatedAt *Time  `json:"updated_at,omitempty"`
	DeletedAt *Time  `json:"deleted_at,omitempty"`
}

// CustomerUpdate is the body of a customer update; nil fields are left as they are.
// Key renames the customer.
type CustomerUpdate struct {
	Email   *string   `json:"email,omitempty"`
	Name    *string   `json:"name,omitempty"`
	Surname *string   `json:"surname,omitempty"`
	Key     *string   `json:"key,omitempty"`
	Tags    *[]string `json:"tags,omitempty"`
}

// CustomerRef names the customer of a transaction. Answers carry the customer's
// key as a bare string, which decodes into Key. For a create with
// options.create_customer the other fields describe the customer to create.
type CustomerRef struct {
	Key     string      `json:"key,omitempty"`
	Email   string      `json:"email,omitempty"`
	Name    string      `json:"name,omitempty"`
	Surname string      `json:"surname,omitempty"`
	Tags    Tags        `json:"tags,omitempty"`
	Partner *PartnerRef `json:"partner,omitempty"`
}

// Transaction is a money event (a sale) of a customer. There is no update for
// transactions, and their keys are not guaranteed unique server-side.
type Transaction struct {
	// Key is the payment id: the only handle for later calls.
	Key string `json:"key,omitempty"`
	// Amount is in major units of AmountUnits (99.99, never cents).
	Amount *Decimal `json:"amount,omitempty"`
	// AmountUnits is the currency code; the program currency when empty.
	AmountUnits string `json:"amount_units,omitempty"`
	// Reward sets the commission directly instead of computing it from Amount.
	Reward      *Decimal    `json:"reward,omitempty"`
	Action      string      `json:"action,omitempty"`
	ProductID   string      `json:"product_id,omitempty"`
	ProductType StringList  `json:"product_type,omitempty"`
	Rewarded    *bool       `json:"rewarded,omitempty"`
	Rewardable  *bool       `json:"rewardable,omitempty"`
	Customer    CustomerRef `json:"customer"`
	// Partner is the partner's id in answers.
	Partner    ID       `json:"partner,omitempty"`
	Credit     *bool    `json:"credit,omitempty"`
	IsCurrency *bool    `json:"is_currency,omitempty"`
	CreatedAt  *Time    `json:"created_at,omitempty"`
	DeletedAt  *Time    `json:"deleted_at,omitempty"`
	Rewards    []Reward `json:"rewards,omitempty"`
}

// Reward is the commission a transaction earned a partner.
type Reward struct {
	Key         string          `json:"key,omitempty"`
	Action      string          `json:"action,omitempty"`
	Status      string          `json:"status,omitempty"`
	Amount      *Decimal        `json:"amount,omitempty"`
	AmountUnits string          `json:"amount_units,omitempty"`
	Customer    CustomerRef     `json:"customer"`
	Partner     ID              `json:"partner,omitempty"`
	CreatedAt   *Time           `json:"created_at,omitempty"`
	DeletedAt   *Time           `json:"deleted_at,omitempty"`
	ProductType json.RawMessage `json:"product_type_data,omitempty"`
}

// ReferralLink is one of a partner's referral links; Key is the referral key.
type ReferralLink struct {
	ID  ID     `json:"id,omitempty"`
	Key string `json:"key,omitempty"`
	URL string `json:"url,omitempty"`
	// The fields below are read for the referral_links table (lists.go
	// decodes them liberally).
	Partner        ID              `json:"partner,omitempty"`
	Default        *bool           `json:"default,omitempty"`
	IsAdditional   *bool           `json:"is_additional,omitempty"`
	DirectTracking json.RawMessage `json:"direct_tracking,omitempty"` // every direct_tracking* field
	CreatedAt      *Time           `json:"created_at,omitempty"`
	UpdatedAt      *Time           `json:"updated_at,omitempty"`
	// Raw is the link object as the API sent it (exports keep it).
	Raw json.RawMessage `json:"-"`
}

// Program is what GET /test says about the program a key belongs to.
type Program struct {
	PubID string `json:"pub_id,omitempty"`
	Name  string `json:"name,omitempty"`
	// Currency is the program's currency, when the answer says it: the
	// one a transaction without amount_units is recorded in.
	Currency string `json:"currency,omitempty"`
	// Raw keeps every field the answer carried.
	Raw json.RawMessage `json:"-"`
}

// ID is an identity the API may send as a string or a number.
type ID string

// UnmarshalJSON accepts a JSON string, a number or null.
func (id *ID) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*id = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*id = ID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return &json.UnmarshalTypeError{Value: string(b), Type: idType}
	}
	*id = ID(n.String())
	return nil
}

// Tags is a list of tag values. Answers send tags as [{"value": "vip"}];
// requests send plain strings. Both decode.
type Tags []string

// UnmarshalJSON accepts ["a"], [{"value":"a"}], a mix of both, or null.
func (t *Tags) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*t = nil
		return nil
	}
	var items []json.RawMessage
	if err := json.Unmarshal(b, &items); err != nil {
		return err
	}
	out := make(Tags, 0, len(items))
	for _, it := range items {
		if len(it) > 0 && it[0] == '{' {
			var v struct {
				Value string `json:"value"`
				Name  string `json:"name"`
			}
			if err := json.Unmarshal(it, &v); err != nil {
				return err
			}
			if v.Value == "" {
				v.Value = v.Name
			}
			out = append(out, v.Value)
			continue
		}
		var s string
		if err := json.Unmarshal(it, &s); err != nil {
			return err
		}
		out = append(out, s)
	}
	*t = out
	return nil
}

// StringList is a string or a list of strings (product_type accepts both).
type StringList []string

// UnmarshalJSON accepts "a", ["a","b"] or null.
func (l *StringList) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*l = nil
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*l = StringList{s}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*l = ss
	return nil
}

// MarshalJSON writes a single value as a plain string, several as a list.
func (l StringList) MarshalJSON() ([]byte, error) {
	if len(l) == 1 {
		return json.Marshal(l[0])
	}
	return json.Marshal([]string(l))
}

// UnmarshalJSON accepts a bare id (string or number), or an object.
func (r *PartnerRef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '{' {
		var id ID
		if err := id.UnmarshalJSON(b); err != nil {
			return err
		}
		*r = PartnerRef{ID: id}
		return nil
	}
	type plain PartnerRef
	return json.Unmarshal(b, (*plain)(r))
}

// UnmarshalJSON accepts a bare customer key (string or number), or an object.
func (r *CustomerRef) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] != '{' {
		var id ID
		if err := id.UnmarshalJSON(b); err != nil {
			return err
		}
		*r = CustomerRef{Key: string(id)}
		return nil
	}
	type plain CustomerRef
	return json.Unmarshal(b, (*plain)(r))
}

// Time is an instant the API sends as ISO-8601 (with or without fraction or
// zone offset), as Unix seconds, or as null. It is always held in UTC.
type Time struct{ time.Time }

// TimeLayout is the layout of the API's timestamps: UTC with microseconds.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// MarshalJSON writes the API's own layout.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Format(TimeLayout))
}

// UnmarshalJSON accepts ISO-8601 strings, Unix seconds (number or numeric
// string) and, as "2006-01-02 15:04:05", Laravel's zone-less UTC form.
func (t *Time) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		return nil
	}
	var s string
	if len(b) > 0 && b[0] == '"' {
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
	} else {
		s = string(b)
	}
	parsed, err := ParseTime(s)
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

var idType = reflect.TypeFor[ID]()
