"""Salesforce Bulk API 2.0 query results (one CSV per object), contract v1."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from contracts.bronze.fields import DateTime, Provenance, opt, req, sfid, sfid_any, ts

BOOL = pl.Boolean


class SalesforceLeadV1(Provenance):
    id: str = sfid("Id", "Lead", required=True)
    first_name: str = opt("FirstName")
    last_name: str = req("LastName")
    email: str = opt("Email")
    phone: str = opt("Phone")
    mobile_phone: str = opt("MobilePhone")
    title: str = opt("Title")
    company: str = req("Company")
    website: str = opt("Website")
    industry: str = opt("Industry")
    number_of_employees: pl.Int64 = opt("NumberOfEmployees", ge=0)
    annual_revenue: pl.Float64 = opt("AnnualRevenue", ge=0)
    lead_source: str = opt("LeadSource")
    status: str = opt("Status")
    rating: str = opt("Rating")
    owner_id: str = opt("OwnerId")
    street: str = opt("Street")
    city: str = opt("City")
    state: str = opt("State")
    postal_code: str = opt("PostalCode")
    country: str = opt("Country")
    created_at: DateTime = ts("CreatedDate", required=True)
    last_modified_at: DateTime = ts("LastModifiedDate", required=True)
    is_converted: BOOL = req("IsConverted")
    converted_date: pl.Date = opt("ConvertedDate")
    converted_account_id: str = sfid("ConvertedAccountId", "Account")
    converted_contact_id: str = sfid("ConvertedContactId", "Contact")
    converted_opportunity_id: str = sfid("ConvertedOpportunityId", "Opportunity")
    is_deleted: BOOL = req("IsDeleted")
    has_opted_out_of_email: BOOL = opt("HasOptedOutOfEmail")
    gclid: str = opt("GCLID__c")


class SalesforceContactV1(Provenance):
    id: str = sfid("Id", "Contact", required=True)
    account_id: str = sfid("AccountId", "Account")
    first_name: str = opt("FirstName")
    last_name: str = req("LastName")
    email: str = opt("Email")
    phone: str = opt("Phone")
    title: str = opt("Title")
    owner_id: str = opt("OwnerId")
    lead_source: str = opt("LeadSource")
    mailing_city: str = opt("MailingCity")
    mailing_state: str = opt("MailingState")
    mailing_country: str = opt("MailingCountry")
    created_at: DateTime = ts("CreatedDate", required=True)
    last_modified_at: DateTime = ts("LastModifiedDate", required=True)
    is_deleted: BOOL = req("IsDeleted")
    has_opted_out_of_email: BOOL = opt("HasOptedOutOfEmail")


class SalesforceAccountV1(Provenance):
    id: str = sfid("Id", "Account", required=True)
    name: str = req("Name")
    website: str = opt("Website")
    industry: str = opt("Industry")
    number_of_employees: pl.Int64 = opt("NumberOfEmployees", ge=0)
    annual_revenue: pl.Float64 = opt("AnnualRevenue", ge=0)
    billing_city: str = opt("BillingCity")
    billing_state: str = opt("BillingState")
    billing_country: str = opt("BillingCountry")
    owner_id: str = opt("OwnerId")
    type: str = opt("Type")
    parent_id: str = sfid("ParentId", "Account")
    created_at: DateTime = ts("CreatedDate", required=True)
    last_modified_at: DateTime = ts("LastModifiedDate", required=True)
    is_deleted: BOOL = req("IsDeleted")


class SalesforceOpportunityV1(Provenance):
    id: str = sfid("Id", "Opportunity", required=True)
    account_id: str = sfid("AccountId", "Account")
    contact_id: str = sfid("ContactId", "Contact")
    name: str = req("Name")
    stage_name: str = req("StageName")
    amount: pl.Float64 = opt("Amount", ge=0)
    close_date: pl.Date = req("CloseDate")
    is_closed: BOOL = req("IsClosed")
    is_won: BOOL = req("IsWon")
    owner_id: str = opt("OwnerId")
    lead_source: str = opt("LeadSource")
    campaign_id: str = sfid("CampaignId", "Campaign")
    created_at: DateTime = ts("CreatedDate", required=True)
    last_modified_at: DateTime = ts("LastModifiedDate", required=True)
    is_deleted: BOOL = req("IsDeleted")


class SalesforceUserV1(Provenance):
    id: str = sfid("Id", "User", required=True)
    name: str = req("Name")
    email: str = opt("Email")
    is_active: BOOL = req("IsActive")
    manager_id: str = sfid("ManagerId", "User")
    department: str = opt("Department")
    created_at: DateTime = ts("CreatedDate", required=True)


class SalesforceTaskV1(Provenance):
    id: str = sfid("Id", "Task", required=True)
    who_id: str = sfid_any("WhoId", "Lead", "Contact")
    what_id: str = sfid_any("WhatId", "Account", "Opportunity")
    owner_id: str = req("OwnerId")
    subject: str = req("Subject")
    status: str = req("Status")
    priority: str = opt("Priority")
    activity_date: pl.Date = opt("ActivityDate")
    created_at: DateTime = ts("CreatedDate", required=True)
    completed_at: DateTime = ts("CompletedDateTime")
    task_subtype: str = opt("TaskSubtype", isin=["Task", "Email", "Call", "LinkedIn"])
    type: str = opt("Type")
    is_closed: BOOL = req("IsClosed")


class SalesforceCampaignV1(Provenance):
    id: str = sfid("Id", "Campaign", required=True)
    name: str = req("Name")
    type: str = opt("Type")
    status: str = opt("Status")
    start_date: pl.Date = opt("StartDate")
    end_date: pl.Date = opt("EndDate")
    actual_cost: pl.Float64 = opt("ActualCost", ge=0)


# Silence "unused" for the re-exported base when modules are imported for their models only.
_ = pa
